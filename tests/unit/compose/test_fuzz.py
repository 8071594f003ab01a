"""Any text as a compose document yields diagnostics (or "too large"), never an exception, a hang or a blow-up.

Hypothesis generates thousands of documents: arbitrary bytes decoded as text, arbitrary unicode, compose-shaped
YAML with random mutations (tabs, duplicated lines, cut characters), and alias bombs of random shape.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockhand.compose.document import ParsedDocument, parse_document
from dockhand.compose.loader import load_project, path_uri
from dockhand.compose.rules import check_project

PATH = Path("/fuzz/project/compose.yaml")
URI = path_uri(PATH)
FUZZ = settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


class MemorySource:
    """One in-memory file; every other path is missing (no disk access while fuzzing)."""

    def __init__(self, text: str) -> None:
        self.doc = parse_document(URI, text, max_bytes=1_000_000)

    def document(self, path: Path) -> ParsedDocument | None:
        return self.doc if path == PATH else None

    def read_text(self, path: Path) -> str | None:
        return None

    def exists(self, path: Path) -> bool:
        return path == PATH


def analyse(text: str) -> list[str]:
    """The whole static path (parse, resolve, rules) as the server runs it; returns the problem codes."""
    project = load_project([PATH], source=MemorySource(text), environ={"HOME": "/root"})
    problems = check_project(project)
    for p in problems:
        assert p.uri and p.message and p.span.start_line >= 0 and p.span.start_char >= 0
    return [p.code for p in problems]


names = st.sampled_from(["web", "db", "cache", "api", "x", "dbb", "front", "data", "8080:80", "${PORT}", "$$", ""])
scalars = st.one_of(names, st.integers(-5, 70000), st.booleans(), st.none(), st.text(max_size=12))
keys = st.sampled_from(
    ["image", "build", "ports", "depends_on", "networks", "volumes", "environment", "extends", "healthcheck",
     "condition", "restart", "links", "network_mode", "secrets", "configs", "profiles", "env_file", "include",
     "services", "name", "<<", "test", "context", "dockerfile", "container_name", "x-any", "bogus"]
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(keys, names), inner, max_size=5)),
    max_leaves=25,
)
compose_like = st.fixed_dictionaries(
    {"services": st.dictionaries(names, st.dictionaries(keys, values, max_size=6), max_size=5)},
    optional={"networks": values, "volumes": values, "secrets": values, "include": values, "name": scalars},
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = yaml.safe_dump(draw(compose_like), sort_keys=False, allow_unicode=True)
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["tab", "dup", "cut", "indent", "anchor"]))
        if action == "tab":
            lines[i] = "\t" + lines[i].lstrip(" ")
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "cut" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + lines[i][j + 1 :]
        elif action == "indent":
            lines[i] = "  " + lines[i]
        else:
            lines[i] = lines[i] + " &a" if ":" not in lines[i] else lines[i].replace(": ", ": *a ", 1)
    return "\n".join(lines) + "\n"


@st.composite
def alias_bombs(draw: st.DrawFn) -> str:
    width = draw(st.integers(2, 12))
    depth = draw(st.integers(2, 12))
    where = draw(st.sampled_from(["services:\n  web:\n    environment: *l{d}\n", "x-top: *l{d}\n",
                                  "services:\n  web:\n    image: x\n    depends_on: *l{d}\n", "services: *l{d}\n"]))  # fmt: skip
    lines = ["x-l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, depth):
        lines.append(f"x-l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n" + where.format(d=depth - 1)


@FUZZ
@given(st.binary(max_size=400))
def test_binary_garbage(data: bytes) -> None:
    analyse(data.decode("utf-8", errors="replace"))
    analyse(data.decode("latin-1"))


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_unicode(text: str) -> None:
    analyse(text)


@FUZZ
@given(mutated())
def test_compose_shaped_documents_with_mutations(text: str) -> None:
    analyse(text)


@settings(max_examples=100, deadline=None, database=None)
@given(alias_bombs())
def test_alias_bombs_stay_bounded(text: str) -> None:
    tracemalloc.start()
    try:
        analyse(text)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 400_000_000, f"peak {peak / 1e6:.0f} MB"


def test_billion_laughs_is_reported() -> None:
    lines = ['x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x-l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    codes = analyse("\n".join(lines) + "\nservices:\n  web:\n    image: x\n    environment: *l8\n")
    assert "alias-bomb" in codes


def test_fifty_megabytes_is_too_large_not_parsed() -> None:
    started = time.monotonic()
    doc = parse_document(URI, "services:\n" + "  # padding padding padding padding\n" * 1_400_000)
    assert [p.code for p in doc.problems] == ["too-large"] and doc.root is None
    assert "DOCKHAND_MAX_DOCUMENT_BYTES" in doc.problems[0].message
    assert time.monotonic() - started < 60  # a guard against a hang, not a speed target


def test_deep_nesting_is_reported() -> None:
    assert "yaml-syntax" in analyse("a: " + "[" * 5000 + "]" * 5000)
    assert "too-deep" in analyse("services:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 400)))


def test_tabs_and_duplicate_keys_are_diagnostics() -> None:
    assert "yaml-syntax" in analyse("services:\n\tweb:\n\t\timage: x\n")
    assert "duplicate-key" in analyse("services:\n  web: {image: x}\n  web: {image: y}\n")


def test_aliases_nested_hundreds_deep_are_reported_not_raised() -> None:
    lines = ["x-a0: &a0 [x]", *(f"x-a{i}: &a{i} [*a{i - 1}]" for i in range(1, 900))]
    codes = analyse("\n".join(lines) + "\nservices:\n  web:\n    image: x\n    command: *a899\n")
    assert set(codes) <= {"too-deep"}

"""The libyaml fast path (_fastcompose.c) builds exactly the tree PyYAML's composer builds, or hands the text back,
and its materializer gives exactly the data merge.Materializer's Python walk gives.

Every comparison analyses the same text twice, once through the fast paths and once with them switched off, and
compares the whole trees (kinds, spans, values and their types, raw text, styles, tags, map indexes, shared alias
nodes), the parse problems and the whole analysis (every problem, each service's resolved data). The corpus is the repository's compose files, a generated 50-service file and texts that
exercise each branch; hypothesis adds thousands of random and mutated documents.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockhand.compose import merge, nodes
from dockhand.compose.document import ParsedDocument, parse_document
from dockhand.compose.loader import load_project
from dockhand.compose.rules import check_project
from tests.unit.compose.test_fuzz import PATH, MemorySource, alias_bombs, mutated

ROOT = Path(__file__).resolve().parents[3]
URI = "file:///p/compose.yaml"
ENV = {"HOME": "/root", "TAG": "1.2", "PORT": "8080", "EMPTY": ""}
SETTINGS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@contextlib.contextmanager
def pyyaml_only() -> Iterator[None]:
    saved = nodes._fastcompose, merge.fast_materialize
    nodes._fastcompose = merge.fast_materialize = None  # type: ignore[assignment]
    try:
        yield
    finally:
        nodes._fastcompose, merge.fast_materialize = saved


def analysis(text: str) -> str:
    """Everything the static analysis makes of a one-file project, as text (NaN compares equal that way)."""
    project = load_project([PATH], source=MemorySource(text), environ=ENV)
    problems = [*project.problems, *check_project(project)]
    data = {n: s.config.data for n, s in project.services.items()}
    resources = {k: {n: r.data for n, r in v.items()} for k, v in project.resources.items()}
    return repr((problems, data, resources))


def shape(node: Any, seen: dict[int, int]) -> Any:
    """Everything observable about a tree; a node met again (an alias) is named by its first visit's number."""
    if id(node) in seen:
        return ("alias", seen[id(node)])
    seen[id(node)] = len(seen)
    common = (node.kind, tuple(node.span), node.tag)
    if node.kind == "scalar":
        value = node.value
        value = "nan" if isinstance(value, float) and math.isnan(value) else value
        return (*common, type(node.value).__name__, value, node.raw, node.style, node.quoted)
    if node.kind == "seq":
        return (*common, node.flow_style, node.items, [shape(c, seen) for c in node.children])
    index = node._index if node._index is None else sorted(node._index.items(), key=repr)
    items = [(shape(k, seen), shape(v, seen)) for k, v in node.items]
    return (*common, node.flow_style, node.children, index, items)


def both(text: str, encoding: str = "utf-16") -> tuple[ParsedDocument, ParsedDocument]:
    fast = parse_document(URI, text, encoding=encoding)
    with pyyaml_only():
        slow = parse_document(URI, text, encoding=encoding)
    return fast, slow


def assert_same(text: str, encoding: str = "utf-16") -> ParsedDocument:
    fast, slow = both(text, encoding)
    assert fast.problems == slow.problems
    if encoding == "utf-16":
        whole = analysis(text)
        with pyyaml_only():
            assert analysis(text) == whole
    assert (fast.root is None) == (slow.root is None)
    if fast.root is not None:
        assert shape(fast.root, {}) == shape(slow.root, {})
        assert fast.root.to_python() == slow.root.to_python() or "nan" in text.lower()
    return fast


def takes_fast_path(text: str) -> bool:
    with nodes.composing(None, URI, []):
        try:
            nodes.compose_fast(text)
        except LookupError:
            return False
    return True


def test_the_fast_path_is_built_and_taken() -> None:
    assert nodes._fastcompose is not None, "dockhand.compose._fastcompose is not built: run scripts/setup"
    sys.path.insert(0, str(ROOT / "bench"))
    from compose_gen import compose_text  # type: ignore[import-not-found]

    assert takes_fast_path(compose_text(50, project="p"))


CORPUS = sorted([*ROOT.glob("tests/data/**/*.y*ml"), *ROOT.glob("examples/**/*.y*ml")])


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_compose_files(path: Path) -> None:
    assert_same(path.read_text(encoding="utf-8", errors="replace"))


def test_generated_stack() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from compose_gen import compose_text

    assert_same(compose_text(50, project="p"))


BRANCHES = {
    "typed scalars": "a: 1\nb: -0x1F\nc: 0o17\nd: 1.5e3\ne: .inf\nf: -.Inf\ng: .nan\nh: ~\ni: null\nj: true\n"
    "k: False\nl: yes\nm: 22:22\nn: '1'\no: \"true\"\np:\nq: +5\nr: 2024-01-01\ns: NULL\nt: nil\n",
    "styles": "a: plain\nb: 'single'\nc: \"double\\tx\"\nd: |\n  literal\n  text\ne: >-\n  folded\n  text\n",
    "flow": "a: [1, b, {c: d}]\nb: {x: [y, z], w: }\nc: []\nd: {}\n",
    "anchors and merges": "x-d: &d {restart: always, image: a}\nx-e: &e {image: e, user: u}\n"
    "services:\n  s:\n    <<: [*d, *e]\n    image: b\n  t:\n    <<: *d\n  u: *d\n",
    "duplicate keys": "services:\n  web: {image: x}\n  web: {image: y}\n  db:\n    image: a\n    image: b\n",
    "quoted merge key": "a:\n  '<<': x\n  b: c\n",
    "non-scalar keys": "? [a, b]\n: c\n? {x: y}\n: z\n1: one\ntrue: yes\n",
    "bool and int keys collide": "1: a\ntrue: b\n",
    "non-ascii": 'services:\n  app:\n    command: "héllo 😀"  # ünïcode\n    image: x\n    labels: {a: "😀😀", b: c}\n'
    "    é: ü\n",
    "empty": "",
    "comments only": "# nothing\n# here\n",
    "explicit document": "---\nservices:\n  a: {image: x}\n...\n",
    "null root": "~\n",
    "scalar root": "just text\n",
    "sequence root": "- a\n- b\n",
    "explicit tags": "services:\n  web:\n    ports: !reset []\n    environment: !override {A: b}\n    x: !!int '5'\n",
    "non-specific tag": "a: ! 12\nb: ! [1]\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "syntax error": "services:\n  web:\n   image: x\n  - bad\n",
    "tab": "services:\n\tweb:\n\t\timage: x\n",
    "undefined alias": "a: *nope\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\n",
    "recursive anchor": "a: &x [1, 2]\nb: *x\n",
    "deep nesting": "services:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 400)),
    "control character": "a: b\x07c\n",
    "bom": "\ufeffservices:\n  a: {image: x}\n",
    "crlf": "services:\r\n  a:\r\n    image: x\r\n",
    "mixed breaks and non-ascii lines": "a: é\rb: x\nc: ü\r\nd: [1,\n  é, 😀]\ne: |\n  ascii\n  ü\nf: g\n",
    "lone surrogate": "a: \ud800\n",
    "interpolation": "services:\n  web:\n    image: app:${TAG}\n    ports: ['${PORT}:80', '${NOPE:-81}:81']\n"
    "    environment: {A: $$literal, B: '${UNSET}', C: '${EMPTY:?must be set}', D: '${BAD'}\n"
    "    command: [echo, '${TAG:-x}', '${TAG:-x}']\n",
    "override tags inside data": "services:\n  web:\n    image: x\n    ports: !reset []\n    labels: !override {a: b}\n",
    "map as a key": "services:\n  web:\n    labels:\n      ? {a: b}\n      : c\n      ? [x]\n      : d\n",
}


@pytest.mark.parametrize("text", BRANCHES.values(), ids=BRANCHES.keys())
def test_each_branch(text: str) -> None:
    assert_same(text)
    assert_same(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "fast"),
    [
        ("typed scalars", True),
        ("anchors and merges", True),
        ("duplicate keys", True),
        ("non-ascii", True),
        ("empty", True),
        ("explicit tags", False),
        ("two documents", False),
        ("syntax error", False),
        ("duplicate anchor", False),
        ("deep nesting", False),
    ],
)
def test_what_the_fast_path_hands_back(name: str, fast: bool) -> None:
    assert takes_fast_path(BRANCHES[name]) is fast


@SETTINGS
@given(mutated())
def test_mutated_compose_documents(text: str) -> None:
    assert_same(text)


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_unicode(text: str) -> None:
    assert_same(text)


@SETTINGS
@given(st.binary(max_size=300))
def test_binary_garbage(data: bytes) -> None:
    assert_same(data.decode("utf-8", errors="replace"))


@settings(max_examples=60, deadline=None, database=None)
@given(alias_bombs())
def test_alias_documents(text: str) -> None:
    assert_same(text)

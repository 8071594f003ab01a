"""An edit re-parsed by splicing one service into the old tree gives exactly what a full parse gives."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from dockhand.compose.document import Node, ParsedDocument, parse_document
from dockhand.compose.incremental import reparse
from dockhand.compose.index import ProjectIndex

URI = "file:///p/compose.yaml"


def stack(services: int) -> str:
    lines = ["name: demo", "", "x-note: plain  # a comment", "services:"]
    for i in range(services):
        lines += [
            f"  svc-{i}:",
            f"    image: registry.local/app-{i}:1.{i}",
            f'    command: ["run", "--name", "ünï-{i} 😀"]' if i % 3 == 0 else "    restart: unless-stopped",
            "    ports:",
            f'      - "{8000 + i}:80"',
            "    environment:",
            f"      MODE: prod-{i}",
            f"      RETRIES: {i}",
            "    # trailing comment",
            "",
        ]
    lines += ["networks:", "  default: {}", ""]
    return "\n".join(lines)


def shape(node: Node | None) -> Any:
    """Everything a consumer can read from a tree: kinds, spans, tags, values, order."""
    if node is None:
        return None
    if node.kind == "scalar":
        return ("scalar", node.span, node.tag, node.value, node.quoted)
    if node.kind == "seq":
        return ("seq", node.span, node.tag, [shape(c) for c in node.children])
    return ("map", node.span, node.tag, [(shape(k), shape(v)) for k, v in node.items])


def assert_same(spliced: ParsedDocument, full: ParsedDocument) -> None:
    assert shape(spliced.root) == shape(full.root)
    assert spliced.problems == full.problems
    assert (spliced.text, spliced.version, spliced.lines.lines) == (full.text, full.version, full.lines.lines)
    if full.root is not None and full.root.get("services") is not None:
        services = full.root.get("services")
        assert services is not None and spliced.root is not None
        for name, _k, _v in services.entries():
            got = spliced.root.get("services").get(name)  # type: ignore[union-attr]
            assert shape(got) == shape(services.get(name))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_random_edits_match_a_full_parse(encoding: str) -> None:
    rng = random.Random(3)
    text = stack(12)
    previous = parse_document(URI, text, 1, encoding=encoding)
    alphabet = ["a", "9", " ", ":", "-", "#", '"', "ü", "😀", "&", "*", "\t", "{", "\n", ""]
    for version in range(2, 600):
        lines = text.split("\n")
        line = rng.randrange(len(lines))
        col = rng.randint(0, len(lines[line]))
        cut = rng.choice([0, 0, 1, 2])
        insert = rng.choice(alphabet)
        lines[line] = lines[line][:col] + insert + lines[line][col + cut :]
        edited = "\n".join(lines)
        spliced = reparse(URI, previous, edited, version, encoding=encoding)
        assert_same(spliced, parse_document(URI, edited, version, encoding=encoding))
        if rng.random() < 0.7 or spliced.problems:  # mostly keep typing; sometimes start again from the clean file
            text, previous = edited, spliced
        if previous.problems:
            text, previous = stack(12), parse_document(URI, stack(12), version, encoding=encoding)


def test_renames_and_clashes_match_a_full_parse() -> None:
    text = stack(5)
    previous = parse_document(URI, text, 1)
    for new_name, version in (("svc-9", 2), ("svc-3", 3), ("svc-1", 4)):
        edited = text.replace("  svc-1:\n", f"  {new_name}:\n")
        spliced = reparse(URI, previous, edited, version)
        assert_same(spliced, parse_document(URI, edited, version))
        assert spliced.root is not None
        assert spliced.root.get("services").get(new_name) is not None  # type: ignore[union-attr]


def test_an_edit_inside_one_service_reuses_the_other_services() -> None:
    text = stack(5)
    previous = parse_document(URI, text, 1)
    edited = text.replace("app-2:1.2", "app-2:1.3")
    spliced = reparse(URI, previous, edited, 2)
    old_services = previous.root.get("services")  # type: ignore[union-attr]
    new_services = spliced.root.get("services")  # type: ignore[union-attr]
    assert new_services.get("svc-1") is old_services.get("svc-1")  # type: ignore[union-attr]
    assert new_services.get("svc-2").get("image").value == "registry.local/app-2:1.3"  # type: ignore[union-attr]
    assert old_services.get("svc-2").get("image").value == "registry.local/app-2:1.2"  # type: ignore[union-attr]


def test_the_index_serves_the_edited_text_after_a_burst_of_changes() -> None:
    index = ProjectIndex(environ={})
    text = stack(4)
    index.open(URI, text, 1)
    assert index.document(URI) is not None
    for version, tag in enumerate(("1.5", "1.6", "1.7"), start=2):
        text = re.sub(r"app-1:[0-9.]+", f"app-1:{tag}", text)
        index.change(URI, text, version)  # not parsed in between: the next parse starts from the last one made
    doc = index.document(URI)
    assert doc is not None and doc.version == 4
    assert_same(doc, parse_document(URI, text, 4))
    assert doc.root.get("services").get("svc-1").get("image").value == "registry.local/app-1:1.7"  # type: ignore[union-attr]


def test_findings_after_edits_equal_a_fresh_analysis() -> None:
    """Structure findings, data and references are remembered per service node: edits must still show up."""
    index = ProjectIndex(environ={"TAG": "1"})
    text = stack(6)
    index.open(URI, text, 1)
    index.rebuild(URI)
    edits = [
        ("    restart: unless-stopped\n", "    restart: sometimes\n"),  # bad enum value in svc-1
        ("app-2:1.2", "app-2:${TAG}"),  # interpolated
        ("app-4:1.4\n", "app-4:1.4\n    contianer_name: x\n"),  # unknown key (adds a line)
        ("app-4:1.4", "app-4:${MISSING}"),  # unset variable warning
        ("    restart: sometimes\n", "    restart: always\n"),  # fixed again
    ]
    for version, (old, new) in enumerate(edits, start=2):
        text = text.replace(old, new, 1)
        index.change(URI, text, version)
        index.rebuild(URI)
        fresh = ProjectIndex(environ={"TAG": "1"})
        fresh.open(URI, text, version)
        fresh.rebuild(URI)
        assert index.problems_for(URI) == fresh.problems_for(URI)
        project, expected = index.for_uri(URI), fresh.for_uri(URI)
        assert project is not None and expected is not None
        assert project.references == expected.references
        assert {n: s.config for n, s in project.services.items()} == {n: s.config for n, s in expected.services.items()}
    codes = {p.code for p in index.problems_for(URI)}
    assert {"unknown-key", "unset-variable"} <= codes and "bad-value" not in codes

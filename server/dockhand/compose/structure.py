"""Structure rules over one document: unknown keys (with "did you mean"), wrong value kinds, bad enum values."""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterator

from dockhand.compose.document import Node, ParsedDocument, Problem
from dockhand.compose.schema import INCLUDE_ENTRY, TOP, Key, Shape

_KIND_NAMES = {
    "str": "a string",
    "int": "a number",
    "num": "a number",
    "bool": "true or false",
    "map": "a mapping",
    "seq": "a list",
    "null": "empty",
}


def node_kind(node: Node) -> str:
    if node.kind != "scalar":
        return node.kind
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "num"
    return "str"


def check_structure(doc: ParsedDocument) -> Iterator[Problem]:
    root = doc.root
    if root is None or root.kind != "map":
        return
    yield from _check_map(doc, root, TOP, "")
    include = root.get("include")
    if include is not None and include.kind == "seq":
        for item in include.children:
            if item.kind == "map":
                yield from _check_map(doc, item, INCLUDE_ENTRY, "include")


def _check_map(doc: ParsedDocument, node: Node, shape: Shape, where: str) -> Iterator[Problem]:
    for name, key_node, value in node.entries():
        spec = shape.keys.get(name)
        if spec is None:
            if shape.open or name.startswith("x-"):
                continue
            yield _unknown_key(doc, key_node, name, shape, where)
            continue
        yield from _check_value(doc, value, spec, f"{where}.{name}" if where else name)


def _check_value(doc: ParsedDocument, value: Node, spec: Key, where: str) -> Iterator[Problem]:
    kind = node_kind(value)
    if value.tag in ("!reset", "!override"):
        return
    if kind not in spec.kinds and not (kind == "null" and "map" in spec.kinds and spec.values_shape is not None):
        if not (kind == "str" and "$" in str(value.value)):
            expected = " or ".join(dict.fromkeys(_KIND_NAMES[k] for k in sorted(spec.kinds)))
            yield Problem(
                "wrong-type",
                f"`{where}` must be {expected}, not {_KIND_NAMES[kind]}.",
                doc.uri,
                value.span,
            )
        return
    if spec.enum and kind == "str":
        yield from _check_enum(doc, value, spec, where)
    if spec.shape is not None and kind == "map":
        yield from _check_map(doc, value, spec.shape, where)
    if spec.item is not None and kind == "seq":
        for child in value.children:
            if child.kind == "map":
                yield from _check_map(doc, child, spec.item, where)
    if spec.values_shape is not None and kind == "map":
        yield from _check_values(doc, value, spec.values_shape, where)


def _check_values(doc: ParsedDocument, node: Node, shape: Shape, where: str) -> Iterator[Problem]:
    for name, _key_node, value in node.entries():
        if where in ("services",) and value.kind != "map" and value.tag not in ("!reset", "!override"):
            yield Problem(
                "wrong-type",
                f"Service `{name}` must be a mapping with keys such as `image:`.",
                doc.uri,
                value.span,
            )
            continue
        if value.kind == "map":
            yield from _remembered(doc, value, shape, f"{where}.{name}")


_checked: weakref.WeakKeyDictionary[Node, tuple[str, str, Shape, tuple[Problem, ...]]] = weakref.WeakKeyDictionary()
"""Findings per service (or resource) node. Nodes are immutable and an edit re-parses one service, reusing the
others' nodes (incremental.py), so the other services are not walked again."""


def _remembered(doc: ParsedDocument, node: Node, shape: Shape, where: str) -> tuple[Problem, ...]:
    hit = _checked.get(node)
    if hit is not None and hit[0] == doc.uri and hit[1] == where and hit[2] is shape:
        return hit[3]
    problems = tuple(_check_map(doc, node, shape, where))
    _checked[node] = (doc.uri, where, shape, problems)
    return problems


def _check_enum(doc: ParsedDocument, value: Node, spec: Key, where: str) -> Iterator[Problem]:
    text = str(value.value)
    if "$" in text or text in spec.enum:
        return
    if where.endswith("restart") and text.startswith("on-failure:") and text[11:].isdigit():
        return
    if where.endswith("pull_policy") and text.startswith("every_"):
        return
    close = difflib.get_close_matches(text, spec.enum, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    yield Problem(
        "bad-value",
        f"`{text}` is not a valid `{where.rsplit('.', 1)[-1]}`: use one of {', '.join(spec.enum)}.{hint}",
        doc.uri,
        value.span,
    )


def _unknown_key(doc: ParsedDocument, key_node: Node, name: str, shape: Shape, where: str) -> Problem:
    close = difflib.get_close_matches(name, list(shape.keys), n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else " Remove it, or prefix it with `x-` for an extension field."
    place = f" in `{where}`" if where else " at the top level"
    return Problem(
        "unknown-key",
        f"Unknown key `{name}`{place} ({shape.name}); Compose rejects it.{hint}",
        doc.uri,
        key_node.span,
    )

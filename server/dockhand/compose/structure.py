"""Structure rules over one document: unknown keys (with "did you mean"), wrong value kinds, bad enum values."""

from __future__ import annotations

import difflib

from dockhand.compose.document import Node, ParsedDocument, Problem
from dockhand.compose.nodes import NodeMemo
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


_SCALAR_KINDS = {type(None): "null", bool: "bool", int: "int", float: "num", str: "str"}


def node_kind(node: Node) -> str:
    if node.kind != "scalar":
        return node.kind
    return _SCALAR_KINDS.get(node.value.__class__, "str")


def check_structure(doc: ParsedDocument) -> list[Problem]:
    out: list[Problem] = []
    root = doc.root
    if root is None or root.kind != "map":
        return out
    _check_map(doc, root, TOP, "", out)
    include = root.get("include")
    if include is not None and include.kind == "seq":
        for item in include.children:
            if item.kind == "map":
                _check_map(doc, item, INCLUDE_ENTRY, "include", out)
    return out


# The walkers append to `out` rather than yield: every key of every service passes through them, and a chain of
# generators costs more than the checks themselves.


def _check_map(doc: ParsedDocument, node: Node, shape: Shape, where: str, out: list[Problem]) -> None:
    keys = shape.keys
    prefix = f"{where}." if where else ""
    for k, v in node.items:
        if k.kind != "scalar":
            continue
        name = str(k.value)
        spec = keys.get(name)
        if spec is None:
            if not (shape.open or name.startswith("x-")):
                out.append(_unknown_key(doc, k, name, shape, where))
            continue
        kind = node_kind(v)
        if kind in spec.simple_kinds:
            continue  # a plain scalar of an accepted kind with nothing below it to check: the common case
        _check_value(doc, v, kind, spec, prefix + name, out)


def _check_value(doc: ParsedDocument, value: Node, kind: str, spec: Key, where: str, out: list[Problem]) -> None:
    if value.tag in ("!reset", "!override"):
        return
    if kind not in spec.kinds and not (kind == "null" and "map" in spec.kinds and spec.values_shape is not None):
        if not (kind == "str" and "$" in str(value.value)):
            expected = " or ".join(dict.fromkeys(_KIND_NAMES[k] for k in sorted(spec.kinds)))
            out.append(
                Problem("wrong-type", f"`{where}` must be {expected}, not {_KIND_NAMES[kind]}.", doc.uri, value.span)
            )
        return
    if spec.enum and kind == "str":
        _check_enum(doc, value, spec, where, out)
    if spec.shape is not None and kind == "map":
        _check_map(doc, value, spec.shape, where, out)
    if spec.item is not None and kind == "seq":
        for child in value.children:
            if child.kind == "map":
                _check_map(doc, child, spec.item, where, out)
    if spec.values_shape is not None and kind == "map":
        _check_values(doc, value, spec.values_shape, where, out)


def _check_values(doc: ParsedDocument, node: Node, shape: Shape, where: str, out: list[Problem]) -> None:
    for name, _key_node, value in node.entries():
        if where in ("services",) and value.kind != "map" and value.tag not in ("!reset", "!override"):
            out.append(
                Problem(
                    "wrong-type", f"Service `{name}` must be a mapping with keys such as `image:`.", doc.uri, value.span
                )
            )
            continue
        if value.kind == "map":
            out.extend(_remembered(doc, value, shape, f"{where}.{name}"))


_checked: NodeMemo[tuple[Problem, ...]] = NodeMemo()
"""Findings per service (or resource) node."""


def _remembered(doc: ParsedDocument, node: Node, shape: Shape, where: str) -> tuple[Problem, ...]:
    def check() -> tuple[Problem, ...]:
        found: list[Problem] = []
        _check_map(doc, node, shape, where, found)
        return tuple(found)

    return _checked.get(node, (doc.uri, where, id(shape)), check)


def _check_enum(doc: ParsedDocument, value: Node, spec: Key, where: str, out: list[Problem]) -> None:
    text = str(value.value)
    if "$" in text or text in spec.enum:
        return
    if where.endswith("restart") and text.startswith("on-failure:") and text[11:].isdigit():
        return
    if where.endswith("pull_policy") and text.startswith("every_"):
        return
    close = difflib.get_close_matches(text, spec.enum, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    out.append(
        Problem(
            "bad-value",
            f"`{text}` is not a valid `{where.rsplit('.', 1)[-1]}`: use one of {', '.join(spec.enum)}.{hint}",
            doc.uri,
            value.span,
        )
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

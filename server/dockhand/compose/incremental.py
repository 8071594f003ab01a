"""Re-parse after an edit inside one service: parse that service's lines alone and splice them into the old tree.

`reparse(uri, previous, text, version, encoding=..., max_bytes=...)` gives the same ParsedDocument `parse_document`
would (same nodes, spans, values and problems — tested against it) but, for the common edit (characters typed
inside one service of `services:`, line count unchanged), parses only that service: at 1000 services it is the
difference between parsing ~15,000 lines and ~15. Every case it cannot prove safe falls back to a full parse:
lines added or removed, merge keys anywhere, an edit outside a single service (or in the last one), anchors/aliases/merge keys or tabs
in the edited lines, any problem in the old or new parse, a renamed service that clashes, flow-style `services`.
"""

from __future__ import annotations

import copy

from dockhand.compose.document import LineIndex, Node, ParsedDocument, _parse, parse_document, paused_gc
from dockhand.compose.nodes import MapNode

_UNSAFE = ("&", "*", "\t")
"""Anchors and aliases tie the edited lines to the rest of the file; tabs make YAML's indentation errors."""


def reparse(
    uri: str,
    previous: ParsedDocument | None,
    text: str,
    version: int | None,
    *,
    encoding: str = "utf-16",
    max_bytes: int = 5_000_000,
) -> ParsedDocument:
    """The parse of `text`, re-using `previous` (the parse of an earlier text of the same document) when safe."""
    if previous is not None and previous.uri == uri and previous.encoding == encoding and _fits(text, max_bytes):
        spliced = _splice(previous, text, version)
        if spliced is not None:
            return spliced
    return parse_document(uri, text, version, encoding=encoding, max_bytes=max_bytes)


def _fits(text: str, max_bytes: int) -> bool:
    """Within the size limit (parse_document reports a text over it; a code point is at most 4 UTF-8 bytes)."""
    return len(text) * 4 <= max_bytes or len(text.encode("utf-8", "surrogatepass")) <= max_bytes


def _splice(previous: ParsedDocument, text: str, version: int | None) -> ParsedDocument | None:
    root = previous.root
    if root is None or previous.problems or root.kind != "map":
        return None
    old_lines = previous.lines.lines
    new_lines = text.split("\n")
    if len(old_lines) != len(new_lines):
        return None
    first = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b), None)
    if first is None:
        return ParsedDocument(previous.uri, text, version, previous.encoding, root, (), previous.lines)
    last = next(i for i in range(len(new_lines) - 1, first - 1, -1) if old_lines[i] != new_lines[i])
    services = root.get("services")
    if "<<" in text or services is None or services.kind != "map" or getattr(services, "flow_style", False):
        return None
    position = _enclosing_entry(services, first, last)
    if position is None:
        return None
    start, stop = services.items[position][0].span.start_line, services.items[position + 1][0].span.start_line
    # The next service's key line is parsed too, so the edited service ends where a full parse ends it.
    block_old, block_new = old_lines[start : stop + 1], new_lines[start : stop + 1]
    if any(mark in line for block in (block_old, block_new) for line in block for mark in _UNSAFE):
        return None
    lines = LineIndex(text, previous.encoding)
    with paused_gc():
        part = _parse(previous.uri, "\n" * start + "\n".join(block_new), version, previous.encoding, lines)
    return _spliced(previous, services, position, part, text, version, lines)


def _enclosing_entry(services: Node, first: int, last: int) -> int | None:
    """The index of the service whose lines (key line up to the next key line) hold every changed line; never the
    last service (its end is the end of `services`, which the edit may move)."""
    items = services.items
    for i in range(len(items) - 1):
        start, stop = items[i][0].span.start_line, items[i + 1][0].span.start_line
        if start <= first and last < stop:
            return i if start < stop else None
        if start > first:
            return None
    return None


def _spliced(
    previous: ParsedDocument,
    services: Node,
    position: int,
    part: ParsedDocument,
    text: str,
    version: int | None,
    lines: LineIndex,
) -> ParsedDocument | None:
    old_key, _old_value = services.items[position]
    next_key = services.items[position + 1][0]
    block = part.root
    if part.problems or block is None or block.kind != "map" or len(block.items) != 2:
        return None
    key, value = block.items[0]
    parsed_next = block.items[1][0]
    if (key.span.start_line, key.span.start_char) != (old_key.span.start_line, old_key.span.start_char):
        return None  # the edit changed the service's indentation: it is no longer the same entry
    if (parsed_next.span, parsed_next.value) != (next_key.span, next_key.value) or key.kind != "scalar":
        return None
    renamed = key.value != old_key.value
    if renamed and any(k.value == key.value for k, _v in services.items):
        return None  # a duplicate service name: the full parse reports it where Compose would
    items = list(services.items)
    items[position] = (key, value)
    assert isinstance(services, MapNode)  # _splice checked it is a map
    new_services = copy.copy(services)
    new_services.items = tuple(items)
    new_services.value = list(items)
    if renamed:
        new_services._index = None  # key positions are unchanged, so the bisection table (_starts) still holds
    root = previous.root
    assert root is not None
    assert isinstance(root, MapNode)
    new_root = copy.copy(root)
    new_root.items = tuple((k, new_services if v is services else v) for k, v in root.items)
    new_root.value = list(new_root.items)
    return ParsedDocument(previous.uri, text, version, previous.encoding, new_root, (), lines)

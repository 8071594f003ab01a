"""One compose YAML text → an immutable node tree where every key and value carries its exact LSP range.

Contract (stable, other features rely on it):
- `parse_document(uri, text, version=None, encoding="utf-16", max_bytes=...)` never raises: a YAML error, a
  too-large text or an alias bomb becomes a `Problem` in `ParsedDocument.problems` and `root` may be None.
- `Span(start_line, start_char, end_line, end_char)` is a NamedTuple in the *client's* position encoding
  (UTF-16 code units unless the client negotiated utf-8/utf-32); `span.to_range()` gives an lsprotocol Range.
- `Node.kind` is "map" | "seq" | "scalar"; `Node.items` (map: tuple of (key Node, value Node)),
  `Node.children` (seq), `Node.value` (scalar Python value: str/int/float/bool/None), `Node.tag` (the explicit
  tag such as "!reset"/"!override", else ""), `Node.get(key)`, `Node.key_node(key)`, `Node.to_python()`.
- Merge keys (`<<: *anchor`) are applied while building the tree; aliases share the anchored Node (so a
  "billion laughs" document stays linear in memory) and `to_python()` refuses expansions past a budget.
- `ParsedDocument.path_at(line, char)` → the key path to the innermost node at a position, e.g.
  ("services", "web", "depends_on", 0), and the nodes along it; built for completion and hover.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import yaml
from lsprotocol import types

try:  # libyaml composes ~8x faster than the pure-Python loader; both give the same node marks
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]
# The *Base* loader leaves plain scalars untyped: _plain_value types them the YAML 1.2 way Compose reads them,
# which is both right (`yes` and `22:22` stay strings) and faster than PyYAML's regex resolver.

MAX_DEPTH = 120
"""Deeper nesting than this is reported instead of walked (no compose file needs it; recursion stays bounded)."""
EXPANSION_BUDGET = 500_000
"""Most nodes `to_python()` materialises through aliases before declaring an alias bomb."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_YScalar = yaml.ScalarNode
_CORE_PREFIX = "tag:yaml.org,2002:"
_scalar_constructor = yaml.SafeLoader("")  # only its scalar constructors are used; they are pure


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC while building a tree, then freeze what survived.

    Trees and models are acyclic (refcounting frees them), yet the collector's passes over tens of thousands of
    fresh nodes cost more than the parse itself (measured: 3.5x at 1000 services). Freezing moves the survivors out
    of the collector's view; a young collection first keeps earlier cyclic garbage out of the frozen set."""
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.collect(0)
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


class Span(NamedTuple):
    """A range in the client's position encoding (zero-based lines; end exclusive)."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int

    def to_range(self) -> types.Range:
        return types.Range(
            start=types.Position(line=self.start_line, character=self.start_char),
            end=types.Position(line=self.end_line, character=self.end_char),
        )

    def contains(self, line: int, char: int) -> bool:
        """Whether the position is inside or at either edge (a cursor right after a word still hits it)."""
        return (self.start_line, self.start_char) <= (line, char) <= (self.end_line, self.end_char)


@dataclass(frozen=True)
class Problem:
    """A finding with a stable code. `related` holds (uri, span, note) places that explain it."""

    code: str
    message: str
    uri: str
    span: Span
    severity: Literal["error", "warning", "info", "hint"] = "error"
    related: tuple[tuple[str, Span, str], ...] = ()


@dataclass(eq=False, slots=True)
class Node:
    """A YAML node with its span. Scalars hold their Python value; maps hold ordered (key, value) pairs."""

    kind: Literal["map", "seq", "scalar"]
    span: Span
    tag: str = ""
    value: Any = None
    items: tuple[tuple[Node, Node], ...] = ()
    children: tuple[Node, ...] = ()
    quoted: bool = False
    _index: dict[Any, int] | None = field(default=None, repr=False)
    _starts: list[tuple[int, int, int]] | None = field(default=None, repr=False)

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    def _key_index(self) -> dict[Any, int]:
        if self._index is None:
            self._index = {}
            for i, (k, _v) in enumerate(self.items):
                if k.kind == "scalar" and _hashable(k.value):
                    self._index.setdefault(k.value, i)
        return self._index

    def get(self, key: Any) -> Node | None:
        """The value node for `key` in a map (None when absent or when this is not a map)."""
        if self.kind != "map":
            return None
        i = self._key_index().get(key)
        return None if i is None else self.items[i][1]

    def key_node(self, key: Any) -> Node | None:
        """The key node for `key` in a map (its span is the name to underline)."""
        if self.kind != "map":
            return None
        i = self._key_index().get(key)
        return None if i is None else self.items[i][0]

    def candidates_at(self, line: int, char: int) -> list[tuple[Node, Node]]:
        """The map entries that may contain a position: the last one starting before it (by bisection)."""
        if self._starts is None:
            self._starts = sorted((k.span.start_line, k.span.start_char, i) for i, (k, _v) in enumerate(self.items))
        i = bisect.bisect_right(self._starts, (line, char, len(self.items))) - 1
        if i < 0:
            return []
        return [self.items[self._starts[i][2]]]

    def entries(self) -> Iterator[tuple[str, Node, Node]]:
        """(key as str, key node, value node) for every scalar key of a map."""
        for k, v in self.items:
            if k.kind == "scalar":
                yield str(k.value), k, v

    def text(self) -> str | None:
        """The scalar as text (numbers and booleans as YAML wrote them), None for maps, sequences and null."""
        if self.kind != "scalar" or self.value is None:
            return None
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    def to_python(self, budget: list[int] | None = None) -> Any:
        """Plain Python data (dicts, lists, scalars); raises AliasBombError past EXPANSION_BUDGET nodes."""
        budget = budget if budget is not None else [EXPANSION_BUDGET]
        budget[0] -= 1
        if budget[0] < 0:
            raise AliasBombError
        if self.kind == "scalar":
            return self.value
        if self.kind == "seq":
            return [c.to_python(budget) for c in self.children]
        out: dict[Any, Any] = {}
        for k, v in self.items:
            key = k.value if k.kind == "scalar" and _hashable(k.value) else repr(k.to_python(budget))
            out.setdefault(key, v.to_python(budget))
        return out


class AliasBombError(Exception):
    """Expanding aliases would materialise more nodes than EXPANSION_BUDGET."""


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


class LineIndex:
    """Converts code-point columns (what libyaml reports) to and from the client's encoding."""

    def __init__(self, text: str, encoding: str) -> None:
        self.lines = text.split("\n")
        self.encoding = encoding
        self.all_ascii = text.isascii() or encoding == "utf-32"

    def _units(self, s: str) -> int:
        if self.encoding == "utf-8":
            return len(s.encode("utf-8", "surrogatepass"))
        return len(s.encode("utf-16-le", "surrogatepass")) // 2

    def to_client(self, line: int, column: int) -> int:
        if self.all_ascii or line >= len(self.lines):
            return column
        text = self.lines[line]
        if text.isascii():
            return column
        return self._units(text[:column])

    def from_client(self, line: int, char: int) -> int:
        """A client column → code-point column (clamped to the line)."""
        if line >= len(self.lines) or self.encoding == "utf-32":
            return char
        text = self.lines[line]
        if text.isascii():
            return min(char, len(text))
        units = 0
        for i, c in enumerate(text):
            if units >= char:
                return i
            units += self._units(c)
        return len(text)


@dataclass(eq=False)
class ParsedDocument:
    """The result of parsing one compose text. Immutable by convention: build a new one for every edit."""

    uri: str
    text: str
    version: int | None
    encoding: str
    root: Node | None
    problems: tuple[Problem, ...]
    lines: LineIndex

    @functools.cached_property
    def has_merge_tags(self) -> bool:
        """Whether `!reset`/`!override` appear at all (data without them needs no marker stripping)."""
        return "!reset" in self.text or "!override" in self.text

    def client_char(self, line: int, column: int) -> int:
        return self.lines.to_client(line, column)

    def path_at(self, line: int, char: int) -> list[tuple[Any, Node]]:
        """Key path to the innermost node at a client position: [(key, node), ...] from the root's children.

        A position on a map key yields the key's path with the *key* node last, so `services: {web: …}` with the
        cursor on `web` gives [("services", <map>), ("web", <key node>)]."""
        out: list[tuple[Any, Node]] = []
        node = self.root
        while node is not None and len(out) <= MAX_DEPTH:
            nxt: tuple[Any, Node] | None = None
            if node.kind == "map":
                for k, v in node.candidates_at(line, char):
                    if k.span.contains(line, char):
                        out.append((k.value, k))
                        return out
                    if v.span.contains(line, char):
                        nxt = (k.value, v)
                        break
            elif node.kind == "seq":
                for idx, c in enumerate(node.children):
                    if c.span.contains(line, char):
                        nxt = (idx, c)
                        break
            if nxt is None:
                return out
            out.append(nxt)
            node = nxt[1]
        return out


def parse_document(
    uri: str,
    text: str,
    version: int | None = None,
    *,
    encoding: str = "utf-16",
    max_bytes: int = 5_000_000,
) -> ParsedDocument:
    """Parse `text`; every failure becomes a Problem (never an exception)."""
    lines = LineIndex(text, encoding)
    zero = Span(0, 0, 0, 0)
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        msg = (
            f"This file is too large for Dockhand to analyse ({len(text):,} characters; the limit is "
            f"{max_bytes:,} bytes). Split it with `include:` or raise DOCKHAND_MAX_DOCUMENT_BYTES."
        )
        return ParsedDocument(uri, text, version, encoding, None, (Problem("too-large", msg, uri, zero),), lines)
    with paused_gc():
        return _parse(uri, text, version, encoding, lines)


def _parse(uri: str, text: str, version: int | None, encoding: str, lines: LineIndex) -> ParsedDocument:
    zero = Span(0, 0, 0, 0)
    builder = _TreeBuilder(uri, lines)
    root: Node | None = None
    try:
        loader = _Loader(text)
        try:
            yaml_root = loader.get_single_node()
        finally:
            loader.dispose()
        if yaml_root is not None:
            root = builder.build(yaml_root, 0)
        if root is not None and builder.aliases and _expanded_size(root, {}) > EXPANSION_BUDGET:
            msg = (
                'Aliases in this file expand to millions of nodes (a "billion laughs" document); Dockhand does not '
                "expand it. Use fewer nested aliases."
            )
            builder.problems.append(Problem("alias-bomb", msg, uri, root.span))
            root = None
    except yaml.MarkedYAMLError as exc:
        builder.problems.append(_yaml_problem(uri, lines, exc))
    except yaml.YAMLError as exc:  # ReaderError (binary garbage) and friends carry a position differently
        builder.problems.append(_reader_problem(uri, lines, exc))
    except (RecursionError, MemoryError):
        msg = "This document nests too deeply to analyse. Flatten it (compose files need only a few levels)."
        builder.problems.append(Problem("too-deep", msg, uri, zero))
    return ParsedDocument(uri, text, version, encoding, root, tuple(builder.problems), lines)


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """How many nodes the tree has once aliases are expanded, counted over shared nodes in linear time."""
    known = memo.get(id(node))
    if known is not None:
        return known
    size = 1
    if node.kind == "seq":
        size += sum(_expanded_size(c, memo) for c in node.children)
    elif node.kind == "map":
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.items)
    memo[id(node)] = min(size, EXPANSION_BUDGET + 1)
    return memo[id(node)]


def _yaml_problem(uri: str, lines: LineIndex, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line if mark else 0
    col = mark.column if mark else 0
    start = lines.to_client(line, col)
    what = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context else ""
    line_text = lines.lines[line] if line < len(lines.lines) else ""
    hint = _syntax_hint("tab" if "\t" in line_text[: col + 1] and "token" in what else what)
    span = Span(line, start, line, start + 1)
    return Problem("yaml-syntax", f"YAML syntax error: {what}{context}. {hint}".strip(), uri, span)


def _syntax_hint(what: str) -> str:
    if "tab" in what:
        return "Indent with spaces: YAML forbids tabs for indentation."
    if "mapping values are not allowed" in what:
        return "Put a space after the colon, or quote a value that contains ': '."
    if "could not find expected ':'" in what or "simple key" in what:
        return "Each entry needs `key: value`; check the indentation of this and the previous line."
    if "found undefined alias" in what:
        return "Define the anchor (`&name`) before using `*name`."
    if "nesting depth" in what:
        return "The document nests too deeply; compose files need only a few levels."
    return "Fix the YAML at this position."


def _reader_problem(uri: str, lines: LineIndex, exc: yaml.YAMLError) -> Problem:
    position = getattr(exc, "position", None)
    line = col = 0
    if isinstance(position, int):
        prefix = "\n".join(lines.lines)[:position]
        line = prefix.count("\n")
        col = position - (prefix.rfind("\n") + 1)
    start = lines.to_client(line, col)
    msg = (
        f"This is not readable YAML text: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
        "Remove binary or control characters (a compose file is UTF-8 text)."
    )
    return Problem("yaml-unreadable", msg, uri, Span(line, start, line, start + 1))


class _TreeBuilder:
    """Turns PyYAML's composed nodes into Nodes with client spans, sharing aliased nodes."""

    def __init__(self, uri: str, lines: LineIndex) -> None:
        self.uri = uri
        self.lines = lines
        self.problems: list[Problem] = []
        self.memo: dict[int, Node] = {}
        self.aliases = any("*" in line for line in lines.lines)
        self.ascii = lines.all_ascii  # no `*` anywhere: no node is shared, skip the memo

    def span(self, y: yaml.Node) -> Span:
        s, e = y.start_mark, y.end_mark
        if self.lines.all_ascii:
            return Span(s.line, s.column, e.line, e.column)
        return Span(s.line, self.lines.to_client(s.line, s.column), e.line, self.lines.to_client(e.line, e.column))

    def build(self, y: yaml.Node, depth: int) -> Node:
        if self.aliases:
            hit = self.memo.get(id(y))
            if hit is not None:
                return hit
        tag = y.tag
        if y.__class__ is _YScalar and depth <= MAX_DEPTH:  # the common case first, inlined: it is most nodes
            style = y.style
            if tag == _STR_TAG:
                value = y.value if style else _plain_value(y.value)
                tag = ""
            else:
                value = _scalar_value(y)
                tag = "" if tag.startswith(_CORE_PREFIX) else tag
            s, e = y.start_mark, y.end_mark
            span = Span(s.line, s.column, e.line, e.column) if self.ascii else self.span(y)
            return Node("scalar", span, tag, value, quoted=style == '"' or style == "'")
        tag = "" if tag.startswith(_CORE_PREFIX) else tag
        if depth > MAX_DEPTH:
            self.problems.append(
                Problem("too-deep", "Nesting is too deep here; Dockhand stops reading below.", self.uri, self.span(y))
            )
            node = Node("scalar", self.span(y), tag)
        elif isinstance(y, yaml.ScalarNode):
            node = Node("scalar", self.span(y), tag, _scalar_value(y), quoted=y.style in ("'", '"'))
        elif isinstance(y, yaml.SequenceNode):
            node = Node("seq", self.span(y), tag)
            self.memo[id(y)] = node
            node.children = tuple(self.build(c, depth + 1) for c in y.value)
        else:
            node = Node("map", self.span(y), tag)
            self.memo[id(y)] = node
            node.items = self._map_items(y, depth)  # type: ignore[arg-type]
        self.memo[id(y)] = node
        return node

    def _map_items(self, y: yaml.MappingNode, depth: int) -> tuple[tuple[Node, Node], ...]:
        own: list[tuple[Node, Node]] = []
        merged: list[tuple[Node, Node]] = []
        seen: dict[Any, Node] = {}
        for ky, vy in y.value:
            if ky.tag == _MERGE_TAG or (ky.value == "<<" and not ky.style and ky.__class__ is yaml.ScalarNode):
                merged.extend(self._merge_sources(vy, depth))
                continue
            k = self.build(ky, depth + 1)
            v = self.build(vy, depth + 1)
            if k.kind == "scalar" and k.value.__class__ in _HASHABLE_TYPES:
                first = seen.get(k.value)
                if first is not None:
                    self.problems.append(
                        Problem(
                            "duplicate-key",
                            f"Key `{k.value}` is defined twice in this mapping; Compose rejects the file. "
                            "Remove or merge one of them.",
                            self.uri,
                            k.span,
                            related=((self.uri, first.span, "first definition"),),
                        )
                    )
                    continue
                seen[k.value] = k
            own.append((k, v))
        if not merged:
            return tuple(own)
        # Explicit keys win over merged ones; among merged sources the first listed wins (YAML merge rules).
        present = {k.value for k, _v in own if k.kind == "scalar"}
        extra: list[tuple[Node, Node]] = []
        for k, v in merged:
            if k.kind == "scalar" and k.value not in present:
                present.add(k.value)
                extra.append((k, v))
        return tuple(own + extra)

    def _merge_sources(self, vy: yaml.Node, depth: int) -> list[tuple[Node, Node]]:
        sources = vy.value if isinstance(vy, yaml.SequenceNode) else [vy]
        out: list[tuple[Node, Node]] = []
        for src in sources:
            node = self.build(src, depth + 1)
            if node.kind != "map":
                self.problems.append(
                    Problem(
                        "merge-not-mapping",
                        "A merge key `<<` needs a mapping (or a list of mappings) such as `<<: *defaults`.",
                        self.uri,
                        node.span,
                    )
                )
                continue
            out.extend(node.items)
        return out


_HASHABLE_TYPES = frozenset({str, int, float, bool, type(None)})
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_FLOATS = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def _plain_value(raw: str) -> Any:
    """A plain scalar typed by the YAML 1.2 core schema (what Compose's YAML library does)."""
    if not raw:
        return None
    first = raw[0]
    if first in "0123456789+-.":
        if _INT.fullmatch(raw):
            return int(raw, 0) if raw[:2] in ("0o", "0x") else int(raw)
        if _FLOAT.fullmatch(raw):
            return float(raw)
        return _FLOATS.get(raw.lower() if first == "." or raw[1:2] == "." else raw, raw)
    if first in "tTfF":
        return _BOOLS.get(raw, raw)
    if first in "nN~":
        return None if raw in _NULLS else raw
    return raw


def _scalar_value(y: yaml.ScalarNode) -> Any:
    tag = y.tag
    if tag == _STR_TAG:
        return _plain_value(y.value) if not y.style else y.value
    if not tag.startswith(_CORE_PREFIX):
        return y.value
    raw = y.value
    # Compose reads YAML 1.2: `yes`/`off` stay strings and `22:22` is not a base-60 number.
    if tag.endswith(":bool") and raw.lower() not in ("true", "false"):
        return raw
    if (tag.endswith(":int") or tag.endswith(":float")) and ":" in raw:
        return raw
    ctor = _scalar_constructor.yaml_constructors.get(tag)
    if ctor is None:
        return y.value
    try:
        value = ctor(_scalar_constructor, y)
    except (ValueError, yaml.YAMLError):
        return y.value
    # Timestamps and binary resolve to non-JSON types; Compose (YAML 1.2) reads them as strings.
    return value if _hashable(value) else y.value

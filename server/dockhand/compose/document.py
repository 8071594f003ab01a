"""One compose YAML text → an immutable node tree where every key and value carries its exact LSP range.

Contract (stable, other features rely on it):
- `parse_document(uri, text, version=None, encoding="utf-16", max_bytes=...)` never raises: a YAML error, a
  too-large text or an alias bomb becomes a `Problem` in `ParsedDocument.problems` and `root` may be None.
- `Span(start_line, start_char, end_line, end_char)` is a NamedTuple in the *client's* position encoding
  (UTF-16 code units unless the client negotiated utf-8/utf-32); lsp/convert.py makes it an lsprotocol Range.
- `Node.kind` is "map" | "seq" | "scalar"; `Node.items` (map: tuple of (key Node, value Node)),
  `Node.children` (seq), `Node.value` (scalar Python value: str/int/float/bool/None), `Node.tag` (the explicit
  tag such as "!reset"/"!override", else ""), `Node.get(key)`, `Node.key_node(key)`, `Node.to_python()`.
- Node classes and Span/Problem live in nodes.py (re-exported here). Merge keys (`<<: *anchor`) are applied
  while finishing the tree; aliases share the anchored Node (so a
  "billion laughs" document stays linear in memory) and `to_python()` refuses expansions past a budget.
- `ParsedDocument.path_at(line, char)` → the key path to the innermost node at a position, e.g.
  ("services", "web", "depends_on", 0), and the nodes along it; built for completion and hover.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from dockhand.compose.nodes import (
    EXPANSION_BUDGET,
    MAX_DEPTH,
    ZERO_SPAN,
    AliasBombError,
    Node,
    Problem,
    Span,
    compose_fast,
    composing,
    fast_materialize,
)

try:  # libyaml composes ~8x faster than the pure-Python loader; both give the same node marks
    from yaml import CBaseLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _BaseLoader  # type: ignore[assignment]


def missing_fast_paths() -> list[str]:
    """The C parts of YAML reading this process runs without: each has a pure-Python twin giving the same nodes
    (slower on large files). Absent where no compiler or libyaml was at hand, e.g. in the extension's bundle."""
    missing = [] if fast_materialize is not None else ["dockhand.compose._fastcompose"]
    if not getattr(yaml, "__with_libyaml__", False):
        missing.append("PyYAML's libyaml loader")
    return missing


class _Loader(_BaseLoader):
    """Composes without PyYAML's tag resolution: the node classes type scalars the YAML 1.2 way themselves, and
    these three hooks run once per node (no-ops here)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> None:
        return None

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


__all__ = ["EXPANSION_BUDGET", "MAX_DEPTH", "AliasBombError", "Node", "ParsedDocument", "Problem", "Span"]


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
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        msg = (
            f"This file is too large for Dockhand to analyse ({len(text):,} characters; the limit is "
            f"{max_bytes:,} bytes). Split it with `include:` or raise DOCKHAND_MAX_DOCUMENT_BYTES."
        )
        return ParsedDocument(uri, text, version, encoding, None, (Problem("too-large", msg, uri, ZERO_SPAN),), lines)
    with paused_gc():
        return _parse(uri, text, version, encoding, lines)


def _parse(uri: str, text: str, version: int | None, encoding: str, lines: LineIndex) -> ParsedDocument:
    problems: list[Problem] = []
    root: Node | None = None
    try:
        with composing(None if lines.all_ascii else lines.to_client, uri, problems):
            composed = _compose(text, problems)
        root = composed if isinstance(composed, Node) else None  # always ours, built by the swapped-in classes
        if root is not None and "*" in text and _expanded_size(root, {}) > EXPANSION_BUDGET:
            msg = (
                'Aliases in this file expand to millions of nodes (a "billion laughs" document); Dockhand does not '
                "expand it. Use fewer nested aliases."
            )
            problems.append(Problem("alias-bomb", msg, uri, root.span))
            root = None
    except yaml.MarkedYAMLError as exc:
        problems.append(_yaml_problem(uri, lines, exc))
        root = None
    except yaml.YAMLError as exc:  # ReaderError (binary garbage) and friends carry a position differently
        position = getattr(exc, "position", None)
        msg = (
            f"This is not readable YAML text: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
            "Remove binary or control characters (a compose file is UTF-8 text)."
        )
        problems.append(_unreadable(uri, text, lines, position if isinstance(position, int) else 0, msg))
        root = None
    except UnicodeEncodeError as exc:  # a lone surrogate (a client may send one as a JSON escape)
        msg = (
            "This text holds a lone UTF-16 surrogate, which is not a character. Remove it (a compose file is UTF-8 "
            "text)."
        )
        problems.append(_unreadable(uri, text, lines, exc.start, msg))
        root = None
    except (RecursionError, MemoryError):
        msg = "This document nests too deeply to analyse. Flatten it (compose files need only a few levels)."
        problems.append(Problem("too-deep", msg, uri, ZERO_SPAN))
        root = None
    return ParsedDocument(uri, text, version, encoding, root, tuple(problems), lines)


def _compose(text: str, problems: list[Problem]) -> Any:
    """libyaml's events straight into nodes when the text allows (~4x faster), else PyYAML's composer, which also
    owns every syntax error message."""
    try:
        return compose_fast(text)
    except LookupError:
        problems.clear()  # what the fast attempt found is found again
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


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
    if "duplicate anchor" in (exc.context or ""):
        first = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
        what, context = f"this anchor is already defined{first}", ""
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
    if "anchor is already defined" in what:
        return "Rename one of the two anchors (`&name`): each name is defined once per file."
    if "found undefined alias" in what:
        return "Define the anchor (`&name`) before using `*name`."
    if "nesting depth" in what:
        return "The document nests too deeply; compose files need only a few levels."
    return "Fix the YAML at this position."


def _unreadable(uri: str, text: str, lines: LineIndex, index: int, msg: str) -> Problem:
    """A yaml-unreadable problem at a character index of the text."""
    line = text.count("\n", 0, index)
    col = index - (text.rfind("\n", 0, index) + 1)
    start = lines.to_client(line, col)
    return Problem("yaml-unreadable", msg, uri, Span(line, start, line, start + 1))

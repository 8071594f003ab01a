"""YAML nodes that carry their own LSP span and YAML 1.2 value: libyaml builds them directly (no second tree).

`Node` is the API (kind, span, tag, value, items, children, quoted, get, key_node, entries, text, to_python);
ScalarNode/SeqNode/MapNode are slotted classes. `compose_fast` (_fastcompose.c) reads libyaml's events in C and
fills their slots directly; texts it hands back go to PyYAML's composer, for which the classes have the constructor
signatures of PyYAML's nodes (`composing()` swaps them in for one parse): scalars get their span and typed value in
the constructor, collections complete themselves when the composer sets their end mark (see _Collection). Both
paths build the same tree (tests/unit/compose/test_fastcompose.py).
"""

from __future__ import annotations

import bisect
import contextlib
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

import yaml
import yaml.composer

EXPANSION_BUDGET = 500_000
"""Most nodes `to_python()` materialises through aliases before declaring an alias bomb."""

CORE_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = "tag:yaml.org,2002:str"


class Span(NamedTuple):
    """A range in the client's position encoding (zero-based lines; end exclusive); lsp.convert makes it a Range."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int

    def contains(self, line: int, char: int) -> bool:
        """Whether the position is inside or at either edge (a cursor right after a word still hits it)."""
        return (self.start_line, self.start_char) <= (line, char) <= (self.end_line, self.end_char)


ZERO_SPAN = Span(0, 0, 0, 0)


@dataclass(frozen=True)
class Problem:
    """A finding with a stable code. `related` holds (uri, span, note) places that explain it."""

    code: str
    message: str
    uri: str
    span: Span
    severity: Literal["error", "warning", "info", "hint"] = "error"
    related: tuple[tuple[str, Span, str], ...] = ()


class AliasBombError(Exception):
    """Expanding aliases would materialise more nodes than EXPANSION_BUDGET."""


_HASHABLE_TYPES = frozenset({str, int, float, bool, type(None)})


def hashable(value: Any) -> bool:
    return value.__class__ in _HASHABLE_TYPES


class Node:
    """The node API. `value` is the scalar's Python value (for collections PyYAML's raw list: use items/children).
    `tag` is the explicit non-core tag ("!reset", "!override") or ""."""

    __slots__ = ()  # tens of thousands per file: slots make them smaller and faster to build
    kind: ClassVar[Literal["map", "seq", "scalar"]]
    span: Span
    tag: str
    value: Any
    items: tuple[tuple[Node, Node], ...] = ()
    children: tuple[Node, ...] = ()
    quoted: bool = False

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
        return {}  # a map's own (MapNode) indexes its keys

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
        """The map entries that may contain a position (none unless this is a map)."""
        return []

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
            key = k.value if k.kind == "scalar" and hashable(k.value) else repr(k.to_python(budget))
            out.setdefault(key, v.to_python(budget))
        return out


MAX_DEPTH = 120
"""Deeper nesting than this is reported instead of walked (no compose file needs it; recursion stays bounded)."""

_new_span = tuple.__new__  # Span(...) goes through a Python-level __new__; this is the same tuple, built in C


T = TypeVar("T")


class NodeMemo(Generic[T]):
    """Results computed from one node, kept as long as the node lives and reused while `key` (whatever else the
    result depends on) is unchanged. Nodes are immutable and an edit re-parses one service, reusing the others'
    nodes (incremental.py), so per-service work is done once per service, not once per edit."""

    def get(self, node: Node, key: Hashable, compute: Callable[[], T]) -> T:
        if not isinstance(node, _Collection):
            return compute()  # a scalar where a service belongs: nothing worth keeping
        memos = node.memos  # kept on the node itself: it lives exactly as long as the node
        if memos is None:
            memos = node.memos = {}
        hit = memos.get(self)
        if hit is not None and hit[0] == key:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        memos[self] = (key, value)
        return value


class _Composition:
    """The parse in progress (set by `composing`; one at a time): column conversion, nesting depth, findings."""

    convert: Any = None  # (line, column) -> client column, or None when the text is ASCII
    uri = ""
    depth = 0
    problems: list[Problem] = []
    active = False


_state = _Composition()


def _tag(tag: str | None) -> str:
    return "" if tag is None or tag.startswith(CORE_PREFIX) else tag


def _span(start_mark: Any, end_mark: Any) -> Span:
    convert = _state.convert
    sl, el = start_mark.line, end_mark.line
    if convert is None:
        return _new_span(Span, (sl, start_mark.column, el, end_mark.column))
    return _new_span(Span, (sl, convert(sl, start_mark.column), el, convert(el, end_mark.column)))


class ScalarNode(Node):
    __slots__ = ("_end", "_span", "_start", "raw", "style", "tag", "value")
    _span: Span | None
    kind = "scalar"

    def __init__(self, tag: str | None, value: str, start_mark: Any, end_mark: Any, style: str | None = None) -> None:
        # Built by libyaml for every scalar (40,000 times for 1000 services), so kept lean and inlined: most plain
        # scalars are text, which needs no typing, and most spans are never read, so an ASCII text's span is made
        # from the marks on first use (a client's UTF-16 columns need the parse's line index: made at once).
        self.raw = value
        self.style = style
        if tag is None or tag == _STR_TAG:
            self.tag = ""
            self.value = value if style or (value and value[0] not in _TYPED_STARTS) else plain_value(value)
        else:
            self.tag = _tag(tag)
            self.value = _explicit_value(tag, value, start_mark, end_mark, style)
        if _state.convert is None:
            self._start, self._end, self._span = start_mark, end_mark, None
        else:
            self._start = self._end = None
            self._span = _span(start_mark, end_mark)

    @property
    def span(self) -> Span:  # type: ignore[override]
        span = self._span
        if span is None:
            start, end = self._start, self._end
            if start is None or end is None:  # another thread has just made it (it sets the span first)
                return self._span  # type: ignore[return-value]
            span = self._span = _new_span(Span, (start.line, start.column, end.line, end.column))
            self._start = self._end = None
        return span

    @property
    def quoted(self) -> bool:  # type: ignore[override]
        return self.style == '"' or self.style == "'"

    @property
    def start_mark(self) -> yaml.Mark:
        """Where the scalar starts: PyYAML's composer reads it to report an anchor defined twice."""
        span = self.span
        return yaml.Mark("", 0, span.start_line, span.start_char, None, 0)


class _Collection(Node):
    """What both collection nodes do as the composer builds them: it creates the node when the collection opens
    (children still to come) and assigns `end_mark` when it closes. That assignment completes the node in place —
    span, children or map items with `<<` merges applied and duplicate keys reported — so no second pass over the
    tree is needed. Collections finish after their children, so aliases and merge sources are always complete.
    Both run once per collection of the file (10,000 times for 1000 services): kept to one call each."""

    # `children` stays () for a map and `items` for a sequence, as the Node API has it for other kinds.
    __slots__ = (
        "_index",
        "_starts",
        "children",
        "flow_style",
        "items",
        "memos",
        "span",
        "start_mark",
        "tag",
        "value",
    )
    _index: dict[Any, int] | None
    _starts: list[tuple[int, int, int]] | None
    memos: dict[Any, tuple[Hashable, Any]] | None
    """NodeMemo results for this node."""
    start_mark: Any
    """libyaml's mark where the collection opens, until it closes."""

    def __init__(
        self, tag: str | None, value: list[Any], start_mark: Any, end_mark: Any, flow_style: Any = None
    ) -> None:
        self.value = value
        self.tag = "" if tag is None or tag.startswith(CORE_PREFIX) else tag
        self.flow_style = flow_style
        self.start_mark = start_mark
        self.span = ZERO_SPAN
        self.children = self.items = ()
        self._index = self._starts = self.memos = None
        _state.depth += 1

    @property
    def end_mark(self) -> None:
        return None  # only the span is kept

    @end_mark.setter
    def end_mark(self, mark: Any) -> None:
        state = _state
        state.depth -= 1
        self.span = _span(self.start_mark, mark)
        self.start_mark = None
        if state.depth < MAX_DEPTH:
            self._complete()
        elif state.depth == MAX_DEPTH:  # read no further: deeper levels stay empty
            state.problems.append(
                Problem("too-deep", "Nesting is too deep here; Dockhand stops reading below.", state.uri, self.span)
            )

    def _complete(self) -> None:
        raise NotImplementedError


class SeqNode(_Collection):
    __slots__ = ()
    kind = "seq"

    def _complete(self) -> None:
        self.children = tuple(self.value)


class MapNode(_Collection):
    __slots__ = ()
    kind = "map"

    def get(self, key: Any) -> Node | None:
        i = (self._index if self._index is not None else self._key_index()).get(key)  # Node.get, without its checks
        return None if i is None else self.items[i][1]

    def _key_index(self) -> dict[Any, int]:
        """Key → position of its entry (made when the map closes, unless keys repeat or merge)."""
        if self._index is None:
            index: dict[Any, int] = {}
            for i, (k, _v) in enumerate(self.items):
                if k.kind == "scalar" and hashable(k.value):
                    index.setdefault(k.value, i)
            self._index = index
        return self._index

    def candidates_at(self, line: int, char: int) -> list[tuple[Node, Node]]:
        """The map entries that may contain a position: the last one starting before it (by bisection)."""
        if self._starts is None:
            self._starts = sorted((k.span.start_line, k.span.start_char, i) for i, (k, _v) in enumerate(self.items))
        i = bisect.bisect_right(self._starts, (line, char, len(self.items))) - 1
        if i < 0:
            return []
        return [self.items[self._starts[i][2]]]

    def _complete(self) -> None:
        pairs = self.value
        # Scalar values are always hashable: a map whose keys are all scalars, distinct and no `<<` is final.
        index = {k.value: i for i, (k, _v) in enumerate(pairs) if k.__class__ is ScalarNode}
        if len(index) == len(pairs) and "<<" not in index:
            self.items = tuple(pairs)
            self._index = index
        else:
            self.items = _merged_items(pairs)


def _merged_items(pairs: list[tuple[Node, Node]]) -> tuple[tuple[Node, Node], ...]:
    """Map items when some key repeats or is a merge key: the first of a repeated key wins (the others are
    reported), explicit keys win over merged ones and among merge sources the first listed wins (YAML rules)."""
    own: list[tuple[Node, Node]] = []
    merged: list[tuple[Node, Node]] = []
    seen: dict[Any, Node] = {}
    for k, v in pairs:
        if k.kind == "scalar" and k.raw == "<<" and not k.style and not k.tag:  # type: ignore[attr-defined]
            merged.extend(_merge_sources(v))
            continue
        if k.kind == "scalar" and hashable(k.value):
            first = seen.get(k.value)
            if first is not None:
                _state.problems.append(
                    Problem(
                        "duplicate-key",
                        f"Key `{k.value}` is defined twice in this mapping; Compose rejects the file. "
                        "Remove or merge one of them.",
                        _state.uri,
                        k.span,
                        related=((_state.uri, first.span, "first definition"),),
                    )
                )
                continue
            seen[k.value] = k
        own.append((k, v))
    if not merged:
        return tuple(own)
    present = {k.value for k, _v in own if k.kind == "scalar"}
    for k, v in merged:
        if k.kind == "scalar" and k.value not in present:
            present.add(k.value)
            own.append((k, v))
    return tuple(own)


def _merge_sources(value: Node) -> list[tuple[Node, Node]]:
    out: list[tuple[Node, Node]] = []
    for source in value.children if value.kind == "seq" else (value,):
        if source.kind != "map":
            _state.problems.append(
                Problem(
                    "merge-not-mapping",
                    "A merge key `<<` needs a mapping (or a list of mappings) such as `<<: *defaults`.",
                    _state.uri,
                    source.span,
                )
            )
            continue
        out.extend(source.items)
    return out


try:  # built from _fastcompose.c against libyaml; without it PyYAML composes every document
    from dockhand.compose import _fastcompose
except ImportError:  # pragma: no cover - depends on the build (compiler and libyaml headers)
    _fastcompose = None  # type: ignore[assignment]


fast_materialize: Callable[[Node, Any, Any, list[int]], Any] | None = (
    _fastcompose.materialize if _fastcompose is not None else None
)
"""merge.Materializer's walk in C: (node, interpolate(node, text), walk_tagged(node), budget) -> data."""


def compose_fast(text: str) -> Node | None:
    """The root node of a one-document text composed by libyaml straight into these classes (inside `composing`),
    or raises LookupError when the text needs PyYAML's composer: its errors, explicit tags, duplicate or
    undefined anchors, several documents, deeper nesting than MAX_DEPTH (see _fastcompose.c)."""
    if _fastcompose is None:
        raise LookupError("the libyaml fast path is not built")
    try:
        return _fastcompose.compose(text, _state.convert)  # type: ignore[no-any-return]
    except _fastcompose.Unsupported as exc:
        raise LookupError(str(exc)) from None


@contextlib.contextmanager
def composing(convert: Any, uri: str, problems: list[Problem]) -> Iterator[None]:
    """Make PyYAML (C and pure-Python composers) build these node classes for one parse; their findings go to
    `problems`."""
    modules: list[Any] = [yaml.composer]
    c_module = getattr(yaml, "_yaml", None)
    if c_module is not None:
        modules.append(c_module)
    ours = {"ScalarNode": ScalarNode, "SequenceNode": SeqNode, "MappingNode": MapNode}
    # The swap is module state: one parse at a time per process. The model holds no lock of its own; its callers
    # parse from one thread (the server on its event loop), and an overlapping parse fails here instead of
    # composing with another parse's state.
    if _state.active:
        raise RuntimeError("compose documents are parsed one at a time: serialize the callers that parse")
    _state.active = True
    saved = [(m, {name: getattr(m, name) for name in ours}) for m in modules]
    _state.convert, _state.uri, _state.depth, _state.problems = convert, uri, 0, problems
    for m in modules:
        for name, cls in ours.items():
            setattr(m, name, cls)
    try:
        yield
    finally:
        for m, originals in saved:
            for name, cls in originals.items():
                setattr(m, name, cls)
        _state.convert, _state.problems = None, []
        _state.active = False


_TYPED_STARTS = frozenset("0123456789+-.tTfFnN~")
"""First characters of plain scalars the core schema may read as a number, boolean or null."""
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_FLOATS = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def plain_value(raw: str) -> Any:
    """A plain scalar typed by the YAML 1.2 core schema (what Compose's YAML library does): `yes` and `22:22`
    stay strings."""
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


_scalar_constructor = yaml.SafeLoader("")  # only its scalar constructors are used; they are pure


def _explicit_value(tag: str, raw: str, start_mark: Any, end_mark: Any, style: str | None) -> Any:
    """A scalar with an explicit tag (`!!int "5"`, `!reset`): core tags are honoured, others stay text."""
    if not tag.startswith(CORE_PREFIX):
        return raw if style else plain_value(raw)
    ctor = _scalar_constructor.yaml_constructors.get(tag)
    if ctor is None:
        return raw
    try:
        value = ctor(_scalar_constructor, yaml.ScalarNode(tag, raw, start_mark, end_mark, style))
    except (ValueError, yaml.YAMLError):
        return raw
    # Timestamps and binary resolve to non-JSON types; Compose (YAML 1.2) reads them as strings.
    return value if hashable(value) else raw


if _fastcompose is not None:
    _words = {**_BOOLS, **dict.fromkeys(_NULLS - {""})}  # plain_value's answers for scalars starting tTfFnN~
    _fastcompose.configure(
        ScalarNode, SeqNode, MapNode, Span, plain_value, _merged_items, _words, AliasBombError, MAX_DEPTH
    )

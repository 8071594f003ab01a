"""What is at a position, and where it leads: pure answers for hover, definition, references, completion, rename.

Everything here reads a prebuilt ComposeProject / ParsedDocument (their position indexes answer by bisection) and
returns plain data in the client's position encoding; the LSP handlers only convert it to lsprotocol objects.
- `symbol_at` → the (kind, name) under the cursor, from a declaration or a reference.
- `definition_spans` / `reference_spans` → (uri, Span) places, across every member file of the project.
- `completion_context` → which kind of name is expected at the cursor (depends_on, links, extends.service,
  network_mode service:, volumes_from, networks, volume sources, secrets, configs) and the word to replace. It reads
  the raw lines by indentation so it also works while the document is mid-edit and does not parse.
- `document_links` → openable files and folders named in the config (build contexts, Dockerfiles, env_files,
  includes) that exist and stay inside the project directory once `..` and symlinks are resolved.
- `prepare_rename` / `rename_edits` → a service renamed across its declarations and references. Only services:
  renaming a volume or network changes what Docker creates, so the user's data would seem to vanish.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dockhand.compose.document import LineIndex, ParsedDocument, Span
from dockhand.compose.model import ComposeProject, Declaration, Kind, Reference

SERVICE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
"""Names Compose accepts for services (compose-spec: `^[a-zA-Z0-9._-]+$`, and a leading letter or digit)."""

Place = tuple[str, Span]


@dataclass(frozen=True)
class Target:
    """The named thing under the cursor and the span of its name there."""

    kind: Kind
    name: str
    uri: str
    span: Span
    is_declaration: bool


def symbol_at(project: ComposeProject, uri: str, line: int, char: int) -> Target | None:
    symbol = project.symbol_at(uri, line, char)
    if isinstance(symbol, Declaration):
        return Target(symbol.kind, symbol.name, symbol.uri, symbol.name_span, True)
    if isinstance(symbol, Reference):
        return Target(symbol.kind, symbol.name, symbol.uri, symbol.span, False)
    return None


def definition_spans(project: ComposeProject, kind: Kind, name: str) -> list[Place]:
    return [(decl.uri, decl.name_span) for decl in project.definitions(kind, name)]


def still_named(target: Target, line_text: str | None, encoding: str) -> bool:
    """Whether the editor's current line still names the target at its span.

    The snapshot can predate the last keystrokes (diagnostics are debounced); answering from shifted positions
    would show the wrong service, so handlers check the live line first. `line_text` None = file not open."""
    if line_text is None:
        return True
    span = target.span
    if span.start_line != span.end_line:
        return False
    index = LineIndex(line_text, encoding)
    written = line_text[index.from_client(0, span.start_char) : index.from_client(0, span.end_char)]
    return written.strip("\"'") == target.name


def definition_targets(project: ComposeProject, kind: Kind, name: str) -> list[tuple[str, Span, Span]]:
    """(uri, whole declaration, its name) for every file that declares the name."""
    return [(decl.uri, decl.span, decl.name_span) for decl in project.definitions(kind, name)]


def reference_spans(project: ComposeProject, kind: Kind, name: str, include_declaration: bool) -> list[Place]:
    places = definition_spans(project, kind, name) if include_declaration else []
    places += [(ref.uri, ref.span) for ref in project.references_to(kind, name)]
    return places


# -- rename ---------------------------------------------------------------------------------------------------


class RenameError(ValueError):
    """A rename that cannot be done; the message says why and what to do instead."""


def prepare_rename(project: ComposeProject, uri: str, line: int, char: int) -> Target | None:
    """The service name at the position when it can be renamed, else None."""
    target = symbol_at(project, uri, line, char)
    if target is None or target.kind != "service" or target.name not in project.services:
        return None
    return target


def rename_edits(project: ComposeProject, target: Target, new_name: str) -> dict[str, list[tuple[Span, str]]]:
    """Text edits per file that rename a service everywhere the project names it."""
    if target.kind != "service":
        raise RenameError(f"Only services can be renamed; renaming a {target.kind} would change what Docker creates.")
    if not SERVICE_NAME.match(new_name):
        raise RenameError(
            f"`{new_name}` is not a valid service name: use letters, digits, `_`, `.` or `-`, "
            "starting with a letter or digit."
        )
    if new_name != target.name and new_name in project.services:
        raise RenameError(f"A service named `{new_name}` already exists; pick another name.")
    edits: dict[str, list[tuple[Span, str]]] = {}
    seen: set[tuple[str, Span]] = set()
    for uri, span in reference_spans(project, "service", target.name, include_declaration=True):
        if (uri, span) not in seen:
            seen.add((uri, span))
            edits.setdefault(uri, []).append((span, new_name))
    return edits


# -- completion -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionContext:
    """A name of `kind` is expected; `span` is the partial word to replace; `service` is the enclosing one."""

    kind: Kind
    span: Span
    prefix: str
    service: str | None


_KEY_LINE = re.compile(
    r"^(?P<indent> *)(?P<dash>- +)?(?P<key>\"[^\"]*\"|'[^']*'|[^\s:#'\"\[\]{},][^:#]*?) *:(?: +(?P<value>.*))?$"
)
_NO_VALUE = re.compile(r"^(?:[&!]\S+)?$")
_SEQ_ITEM = re.compile(r"^(?P<indent> *)- *(?P<quote>[\"']?)(?P<word>[^\s:\"'#,\]]*)$")
_MAP_KEY = re.compile(r"^(?P<indent> *)(?P<quote>[\"']?)(?P<word>[A-Za-z0-9_.-]*)$")
_VALUE = re.compile(r"^(?P<indent> *)(?P<dash>- +)?(?P<key>[A-Za-z0-9_.-]+) *: +(?P<quote>[\"']?)(?P<word>[^\s\"'#]*)$")
_FLOW = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+) *: *\[(?P<items>[^\]]*)$")
_WORD_TAIL = re.compile(r"[A-Za-z0-9_.-]*")

_SERVICE_LISTS: dict[str, Kind] = {
    "depends_on": "service",
    "links": "service",
    "volumes_from": "service",
    "networks": "network",
    "volumes": "volume",
    "secrets": "secret",
    "configs": "config",
}


def _indent_of(match: re.Match[str]) -> int:
    return len(match["indent"]) + len(match.groupdict().get("dash") or "")


def _block_key(text: str) -> tuple[str, int, bool] | None:
    """(key, key column, opens a block) for a `key:` line, also `- key:`; None for other lines."""
    match = _KEY_LINE.match(text)
    if match is None:
        return None
    value = (match["value"] or "").split(" #", 1)[0].strip()
    opens_block = value.startswith("#") or _NO_VALUE.match(value) is not None
    return match["key"].strip("\"'"), _indent_of(match), opens_block


def _ancestors(
    lines: list[str], line: int, indent: int, same_indent_parent: bool, top: tuple[str, int] | None = None
) -> list[str]:
    """Keys enclosing a line whose content starts at `indent`, outermost first, found by walking up.

    `same_indent_parent`: the line is a `- item`, which YAML lets sit at its owning key's own indentation.
    `top`: (top-level key, indentation of its entries) when the parsed tree already knows them — the walk then
    stops at that indentation instead of climbing through thousands of lines to the top."""
    path: list[str] = []
    limit, allow_equal = indent, same_indent_parent
    deeper = " " * (limit + 1)
    for number in range(line - 1, -1, -1):
        text = lines[number]
        if text.startswith(deeper):
            continue  # inside a sibling's block: the common case, so skipped before any other work
        text = text.rstrip()
        stripped = text.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        own = len(text) - len(stripped)
        if own == limit and not allow_equal and not stripped.startswith("-"):
            continue  # a sibling key
        found = _block_key(text)
        if stripped.startswith("-"):
            if own < limit:
                # A mapping inside a sequence item (`- key:`) encloses us only when its key is left of us.
                if found is not None and found[2] and found[1] < limit:
                    path.append(found[0])
                limit, allow_equal = own, True  # the sequence's owner sits at or left of its dash
                deeper = " " * (limit + 1)
            continue
        if found is not None and found[2]:
            path.append(found[0])
            limit, allow_equal = own, False
            deeper = " " * (limit + 1)
            if own == 0:
                break
            if top is not None and own == top[1]:
                path.append(top[0])
                break
    path.reverse()
    return path


def completion_context(document: ParsedDocument, line: int, char: int) -> CompletionContext | None:
    """What kind of name belongs at the cursor, or None when no reference is expected there."""
    lines = document.lines.lines
    if line >= len(lines):
        return None
    column = document.lines.from_client(line, char)
    text = lines[line]
    before = text[:column]
    tail = _WORD_TAIL.match(text, column)
    end_column = tail.end() if tail else column

    kind: Kind | None = None
    word = ""
    path: list[str] = []
    top = _top_level_entry(document, line)
    if (m := _FLOW.match(before)) is not None:
        path = [*_ancestors(lines, line, len(m["indent"]), False, top), m["key"]]
        word = m["items"].rsplit(",", 1)[-1].strip().strip("\"'")
        kind = _list_kind(path, word)
    elif (m := _SEQ_ITEM.match(before)) is not None:
        path = _ancestors(lines, line, len(m["indent"]), True, top)
        word = m["word"]
        kind = _list_kind(path, word)
    elif (m := _MAP_KEY.match(before)) is not None:
        path = _ancestors(lines, line, len(m["indent"]), False, top)
        word = m["word"]
        if _in_service(path) and path[-1] in ("depends_on", "networks"):
            kind = _SERVICE_LISTS[path[-1]]
    elif (m := _VALUE.match(before)) is not None:
        parents = _ancestors(lines, line, len(m["indent"]), bool(m["dash"]), top)
        path = [*parents, m["key"]]
        word = m["word"]
        kind, word = _value_kind(path, word)
    if kind is None:
        return None
    start_column = column - len(word)
    start = document.lines.to_client(line, start_column)
    end = document.lines.to_client(line, end_column)
    service = path[1] if _in_service(path) else None
    return CompletionContext(kind, Span(line, start, line, end), word, service)


def _top_level_entry(document: ParsedDocument, line: int) -> tuple[str, int] | None:
    """(top-level key, column of its entries) of the block mapping holding `line`, when the text parsed."""
    root = document.root
    if root is None or root.kind != "map":
        return None
    for key, value in root.candidates_at(line, 0):
        if key.kind == "scalar" and value.kind == "map" and value.items and key.span.start_line < line:
            first = value.items[0][0].span
            if first.start_line > key.span.start_line and value.span.end_line >= line:
                return str(key.value), first.start_char
    return None


def _in_service(path: list[str]) -> bool:
    return len(path) >= 3 and path[0] == "services"


def _list_kind(path: list[str], word: str) -> Kind | None:
    if not _in_service(path) or len(path) != 3:
        return None
    kind = _SERVICE_LISTS.get(path[2])
    if kind == "volume" and word[:1] in (".", "/", "~", "$"):
        return None  # a bind mount path, not a named volume
    return kind


def _value_kind(path: list[str], word: str) -> tuple[Kind | None, str]:
    if not _in_service(path):
        return None, word
    tail = path[2:]
    if tail in (["extends"], ["extends", "service"]):
        return "service", word
    if tail == ["network_mode"]:
        if word.startswith("service:"):
            return "service", word.removeprefix("service:")
        return None, word
    if len(tail) == 2 and tail[1] == "source" and tail[0] in ("volumes", "secrets", "configs"):
        return _SERVICE_LISTS[tail[0]], word
    return None, word


def completion_names(project: ComposeProject, context: CompletionContext) -> list[str]:
    """Defined names of the expected kind; a service never depends on itself."""
    names = project.names(context.kind)
    if context.kind == "service" and context.service is not None:
        names = [name for name in names if name != context.service]
    return names


# -- document links -------------------------------------------------------------------------------------------

LINK_ROLES = ("dockerfile", "env-file", "include", "extends-file", "build-context")
"""Roles that get a link, files first: when two share a span the earlier role wins."""


def document_links(project: ComposeProject, real_path: Callable[[str], str]) -> dict[str, list[tuple[Span, Path]]]:
    """Links per file: paths the config names that exist inside the project directory tree.

    `real_path` resolves symlinks (os.path.realpath); it is passed in so the caller decides when that disk
    access happens (when a snapshot is built, never on a request)."""
    resolved: dict[str, str] = {}

    def real(path: str) -> str:
        if path not in resolved:
            resolved[path] = real_path(path)
        return resolved[path]

    root = real(str(project.directory))
    chosen: dict[tuple[str, Span], tuple[int, Path]] = {}
    for ref in project.paths:
        if ref.role not in LINK_ROLES or ref.path is None or ref.exists is False:
            continue
        target = real(os.path.normpath(ref.path))
        if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
            continue  # outside the project tree (through `..` or a symlink): never offer it
        # `build: ./app` names the context and (implicitly) its Dockerfile with one span: open the file.
        rank = LINK_ROLES.index(ref.role)
        place = (ref.uri, ref.span)
        if place not in chosen or rank < chosen[place][0]:
            chosen[place] = (rank, Path(target))
    links: dict[str, list[tuple[Span, Path]]] = {}
    for (uri, span), (_rank, target_path) in chosen.items():
        links.setdefault(uri, []).append((span, target_path))
    return links

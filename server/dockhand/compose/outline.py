"""The outline of one compose document (for textDocument/documentSymbol), built purely from its parsed node tree.

Top-level sections (services, networks, volumes, secrets, configs, include, name, x-*) contain their entries;
each service lists its keys with a short detail (the image, the first port, …). Ranges are in the client's
encoding and every selection range (the name) lies inside its range, as LSP requires. Entries are plain data
(`OutlineEntry`, kinds named for what they are); dockhand.lsp.convert turns them into LSP symbols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dockhand.compose.document import Node, ParsedDocument, Span

OutlineKind = Literal["section", "field", "service", "network", "volume", "secret", "config", "key", "include"]
"""What an entry is: a "section" (services, networks, …, include), a "field" (name, x-*), an entry of a section,
a service's "key", or one "include"d file."""

SECTION_KINDS: dict[str, OutlineKind] = {
    "services": "service",
    "networks": "network",
    "volumes": "volume",
    "secrets": "secret",
    "configs": "config",
}
MAX_DETAIL = 60
DETAILED_SERVICES = 300
"""Up to this many services each service also lists its keys; beyond it the outline stops at services, because
tens of thousands of symbols cost the editor (and the event loop) far more than they help navigate."""


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """One symbol: its name, kind, whole extent (`span`), name extent (`selection`) and nested entries."""

    name: str
    kind: OutlineKind
    span: Span
    selection: Span
    detail: str | None = None
    children: list[OutlineEntry] | None = None


def _detail(node: Node) -> str:
    """A one-line summary of a value: the scalar itself, or the first scalar of a short list."""
    if node.kind == "scalar":
        text = node.text() or ""
    elif node.kind == "seq" and node.children and node.children[0].kind == "scalar":
        more = f" (+{len(node.children) - 1})" if len(node.children) > 1 else ""
        text = (node.children[0].text() or "") + more
    elif node.kind == "map":
        text = f"{len(node.items)} keys" if node.items else ""
    else:
        text = f"{len(node.children)} items"
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _entry_range(document: ParsedDocument, key: Node, value: Node) -> Span:
    """From the key to the end of its value, ending on the value's last line (not the next entry's)."""
    value_end = (value.span.end_line, value.span.end_char)
    end_line, end_char = max(value_end, (key.span.end_line, key.span.end_char))
    lines = document.lines.lines
    # A block's end mark sits where the next entry starts: end on the last line that has content instead.
    while end_line > key.span.end_line:
        before_end = lines[end_line][:end_char] if end_line < len(lines) else ""
        if before_end.strip():
            break
        end_line -= 1
        end_char = document.client_char(end_line, len(lines[end_line].rstrip()))
    return Span(key.span.start_line, key.span.start_char, end_line, end_char)


def _service_symbol(document: ParsedDocument, name: str, key: Node, value: Node, detailed: bool) -> OutlineEntry:
    children = [
        OutlineEntry(
            name=str(child_key.value),
            kind="key",
            span=_entry_range(document, child_key, child_value),
            selection=child_key.span,
            detail=_detail(child_value) or None,
        )
        for child_key, child_value in (value.items if value.kind == "map" else ())
        if child_key.kind == "scalar" and detailed
    ]
    image = value.get("image") if value.kind == "map" else None
    build = value.get("build") if value.kind == "map" else None
    detail = (image.text() if image is not None else None) or (
        "build " + (_detail(build) if build.kind == "scalar" else _detail(build.get("context") or build))
        if build is not None
        else None
    )
    return OutlineEntry(
        name=name,
        kind="service",
        span=_entry_range(document, key, value),
        selection=key.span,
        detail=detail,
        children=children or None,
    )


def outline_entries(document: ParsedDocument) -> list[OutlineEntry]:
    """The document's outline, sections first (empty when it did not parse into a mapping)."""
    root = document.root
    if root is None or root.kind != "map":
        return []
    symbols = []
    for section, key, value in root.entries():
        children: list[OutlineEntry] = []
        if section in SECTION_KINDS and value.kind == "map":
            detailed = len(value.items) <= DETAILED_SERVICES
            for name, child_key, child_value in value.entries():
                if section == "services":
                    children.append(_service_symbol(document, name, child_key, child_value, detailed))
                else:
                    children.append(
                        OutlineEntry(
                            name=name,
                            kind=SECTION_KINDS[section],
                            span=_entry_range(document, child_key, child_value),
                            selection=child_key.span,
                            detail=_detail(child_value) or None,
                        )
                    )
        elif section == "include" and value.kind == "seq":
            for item in value.children:
                path = item if item.kind == "scalar" else (item.get("path") if item.kind == "map" else None)
                if path is not None:
                    label = _detail(path)
                    children.append(
                        OutlineEntry(
                            name=label or "include",
                            kind="include",
                            span=item.span,
                            selection=item.span,
                        )
                    )
        kind: OutlineKind = "section" if section in SECTION_KINDS or section == "include" else "field"
        symbols.append(
            OutlineEntry(
                name=section,
                kind=kind,
                span=_entry_range(document, key, value),
                selection=key.span,
                detail=None if children else (_detail(value) or None),
                children=children or None,
            )
        )
    return symbols

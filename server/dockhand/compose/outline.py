"""The outline of one compose document (textDocument/documentSymbol), built purely from its parsed node tree.

Top-level sections (services, networks, volumes, secrets, configs, include, name, x-*) contain their entries;
each service lists its keys with a short detail (the image, the first port, …). Ranges are in the client's
encoding and every selection range (the name) lies inside its range, as LSP requires.
"""

from __future__ import annotations

from lsprotocol import types

from dockhand.compose.document import Node, ParsedDocument, Span

SECTION_KINDS: dict[str, types.SymbolKind] = {
    "services": types.SymbolKind.Class,
    "networks": types.SymbolKind.Interface,
    "volumes": types.SymbolKind.Struct,
    "secrets": types.SymbolKind.Key,
    "configs": types.SymbolKind.Object,
}
MAX_DETAIL = 60
DETAILED_SERVICES = 300
"""Up to this many services each service also lists its keys; beyond it the outline stops at services, because
tens of thousands of symbols cost the editor (and the event loop) far more than they help navigate."""


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


def _entry_range(document: ParsedDocument, key: Node, value: Node) -> types.Range:
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
    return Span(key.span.start_line, key.span.start_char, end_line, end_char).to_range()


def _service_symbol(
    document: ParsedDocument, name: str, key: Node, value: Node, detailed: bool
) -> types.DocumentSymbol:
    children = [
        types.DocumentSymbol(
            name=str(child_key.value),
            kind=types.SymbolKind.Property,
            range=_entry_range(document, child_key, child_value),
            selection_range=child_key.span.to_range(),
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
    return types.DocumentSymbol(
        name=name,
        kind=types.SymbolKind.Class,
        range=_entry_range(document, key, value),
        selection_range=key.span.to_range(),
        detail=detail,
        children=children or None,
    )


def document_outline(document: ParsedDocument) -> list[types.DocumentSymbol]:
    """Hierarchical symbols for the document (empty when it did not parse into a mapping)."""
    root = document.root
    if root is None or root.kind != "map":
        return []
    symbols = []
    for section, key, value in root.entries():
        children: list[types.DocumentSymbol] = []
        if section in SECTION_KINDS and value.kind == "map":
            detailed = len(value.items) <= DETAILED_SERVICES
            for name, child_key, child_value in value.entries():
                if section == "services":
                    children.append(_service_symbol(document, name, child_key, child_value, detailed))
                else:
                    children.append(
                        types.DocumentSymbol(
                            name=name,
                            kind=SECTION_KINDS[section],
                            range=_entry_range(document, child_key, child_value),
                            selection_range=child_key.span.to_range(),
                            detail=_detail(child_value) or None,
                        )
                    )
        elif section == "include" and value.kind == "seq":
            for item in value.children:
                path = item if item.kind == "scalar" else (item.get("path") if item.kind == "map" else None)
                if path is not None:
                    label = _detail(path)
                    children.append(
                        types.DocumentSymbol(
                            name=label or "include",
                            kind=types.SymbolKind.File,
                            range=item.span.to_range(),
                            selection_range=item.span.to_range(),
                        )
                    )
        kind = (
            types.SymbolKind.Namespace if section in SECTION_KINDS or section == "include" else types.SymbolKind.Field
        )
        symbols.append(
            types.DocumentSymbol(
                name=section,
                kind=kind,
                range=_entry_range(document, key, value),
                selection_range=key.span.to_range(),
                detail=None if children else (_detail(value) or None),
                children=children or None,
            )
        )
    return symbols


def flat_outline(document: ParsedDocument, uri: str) -> list[types.SymbolInformation]:
    """The same outline flattened, for clients without hierarchical document symbol support."""
    out: list[types.SymbolInformation] = []

    def walk(symbols: list[types.DocumentSymbol], container: str | None) -> None:
        for symbol in symbols:
            out.append(
                types.SymbolInformation(
                    name=symbol.name,
                    kind=symbol.kind,
                    location=types.Location(uri=uri, range=symbol.selection_range),
                    container_name=container,
                )
            )
            walk(list(symbol.children or ()), symbol.name)

    walk(document_outline(document), None)
    return out

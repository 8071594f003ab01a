"""Where plain data and LSP types meet: spans to Ranges, the outline to symbols, request params to dicts."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from dockhand.compose.document import ParsedDocument, Span
from dockhand.compose.outline import OutlineEntry, OutlineKind, outline_entries

SYMBOL_KINDS: dict[OutlineKind, types.SymbolKind] = {
    "section": types.SymbolKind.Namespace,
    "field": types.SymbolKind.Field,
    "service": types.SymbolKind.Class,
    "network": types.SymbolKind.Interface,
    "volume": types.SymbolKind.Struct,
    "secret": types.SymbolKind.Key,
    "config": types.SymbolKind.Object,
    "key": types.SymbolKind.Property,
    "include": types.SymbolKind.File,
}


def to_range(span: Span) -> types.Range:
    """A span (already in the client's position encoding) as an LSP Range."""
    return types.Range(
        start=types.Position(line=span.start_line, character=span.start_char),
        end=types.Position(line=span.end_line, character=span.end_char),
    )


def to_symbol(entry: OutlineEntry) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=entry.name,
        kind=SYMBOL_KINDS[entry.kind],
        range=to_range(entry.span),
        selection_range=to_range(entry.selection),
        detail=entry.detail,
        children=[to_symbol(child) for child in entry.children] if entry.children is not None else None,
    )


def document_outline(document: ParsedDocument) -> list[types.DocumentSymbol]:
    """Hierarchical symbols for the document (empty when it did not parse into a mapping)."""
    return [to_symbol(entry) for entry in outline_entries(document)]


def flat_outline(document: ParsedDocument, uri: str) -> list[types.SymbolInformation]:
    """The same outline flattened, for clients without hierarchical document symbol support."""
    out: list[types.SymbolInformation] = []

    def walk(entries: list[OutlineEntry], container: str | None) -> None:
        for entry in entries:
            out.append(
                types.SymbolInformation(
                    name=entry.name,
                    kind=SYMBOL_KINDS[entry.kind],
                    location=types.Location(uri=uri, range=to_range(entry.selection)),
                    container_name=container,
                )
            )
            walk(entry.children or [], entry.name)

    walk(outline_entries(document), None)
    return out


def _plain(value: Any) -> Any:
    """pygls hands custom-request params over as namedtuples: back to dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def request_params(params: Any) -> dict[str, Any]:
    """A dockhand/* request's params as a plain dict ({} when absent or not an object)."""
    plain = _plain(params)
    return plain if isinstance(plain, dict) else {}

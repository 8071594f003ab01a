"""textDocument/documentSymbol: the outline (sections → services → keys) of a compose document.

Serves: textDocument/documentSymbol. Built from the latest parse of the open document (dockhand.compose.outline,
converted to LSP symbols by dockhand.lsp.convert);
hierarchical DocumentSymbols when the client supports them, else flat SymbolInformation.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.capabilities import get_capability

from dockhand.compose.index import canonical_uri
from dockhand.lsp.convert import document_outline, flat_outline
from dockhand.lsp.server import DockhandServer


def register(server: DockhandServer) -> None:
    """Wire textDocument/documentSymbol."""

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(
        ls: DockhandServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        uri = canonical_uri(params.text_document.uri)
        document = ls.projects.document(uri)
        if document is None:
            project = ls.projects.for_uri(uri)
            document = project.documents.get(uri) if project else None
        if document is None:
            return None
        capabilities = ls.client_capabilities
        if get_capability(capabilities, "text_document.document_symbol.hierarchical_document_symbol_support", False):
            return document_outline(document)
        return flat_outline(document, params.text_document.uri)

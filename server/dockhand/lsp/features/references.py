"""textDocument/references: every place the project names a service, network, volume, secret or config.

Serves: textDocument/references. Across all member files (overrides, includes, extends); the declarations are
included when the client asks for them (context.includeDeclaration).
"""

from __future__ import annotations

from lsprotocol import types

from dockhand.compose.index import canonical_uri
from dockhand.compose.navigation import reference_spans, symbol_at
from dockhand.lsp.server import DockhandServer


def register(server: DockhandServer) -> None:
    """Wire textDocument/references."""

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: DockhandServer, params: types.ReferenceParams) -> list[types.Location] | None:
        uri = canonical_uri(params.text_document.uri)
        project = ls.projects.for_uri(uri)
        target = symbol_at(project, uri, params.position.line, params.position.character) if project else None
        if project is None or target is None:
            return None
        places = reference_spans(project, target.kind, target.name, params.context.include_declaration)
        return [types.Location(uri=place_uri, range=span.to_range()) for place_uri, span in places]

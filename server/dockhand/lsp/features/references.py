"""textDocument/references: every place the project names a service, network, volume, secret or config.

Serves: textDocument/references. Across all member files (overrides, includes, extends); the declarations are
included when the client asks for them (context.includeDeclaration).
"""

from __future__ import annotations

from lsprotocol import types

from dockhand.compose.navigation import reference_spans
from dockhand.lsp.convert import to_range
from dockhand.lsp.features.hover import target_at
from dockhand.lsp.server import DockhandServer


def register(server: DockhandServer) -> None:
    """Wire textDocument/references."""

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: DockhandServer, params: types.ReferenceParams) -> list[types.Location] | None:
        found = target_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        project, target, _uri = found
        places = reference_spans(project, target.kind, target.name, params.context.include_declaration)
        return [types.Location(uri=place_uri, range=to_range(span)) for place_uri, span in places]

"""textDocument/definition: from a name to where it is declared, in this file or any file of the project.

Serves: textDocument/definition. Services, networks, volumes, secrets and configs; a service declared in both
compose.yaml and an override (or an included file) gives every declaration. LocationLinks when the client
supports them (the whole declaration is the target, its name the selection), else Locations.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.capabilities import get_capability

from dockhand.compose.navigation import definition_targets
from dockhand.lsp.convert import to_range
from dockhand.lsp.features.hover import target_at
from dockhand.lsp.server import DockhandServer


def register(server: DockhandServer) -> None:
    """Wire textDocument/definition."""

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(
        ls: DockhandServer, params: types.DefinitionParams
    ) -> list[types.LocationLink] | list[types.Location] | None:
        found = target_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        project, target, _uri = found
        places = definition_targets(project, target.kind, target.name)
        if not places:
            return None
        if get_capability(ls.client_capabilities, "text_document.definition.link_support", False):
            return [
                types.LocationLink(
                    target_uri=place_uri,
                    target_range=to_range(whole),
                    target_selection_range=to_range(name),
                    origin_selection_range=to_range(target.span),
                )
                for place_uri, whole, name in places
            ]
        return [types.Location(uri=place_uri, range=to_range(name)) for place_uri, _whole, name in places]

"""textDocument/documentLink: build contexts, Dockerfiles, env_files and includes become clickable.

Serves: textDocument/documentLink. Links are computed when a project snapshot is built (a ProjectIndex
listener resolves symlinks then, off the request path) and only for paths that exist inside the project
directory tree: nothing reached through `..` or a symlink that leaves it is ever offered.
"""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types
from pygls.capabilities import get_capability

from dockhand.compose.document import Span
from dockhand.compose.index import ProjectSnapshot, canonical_uri
from dockhand.compose.navigation import document_links
from dockhand.lsp.convert import to_range
from dockhand.lsp.server import DockhandServer


def register(server: DockhandServer) -> None:
    """Keep a link table per file, refreshed with every project snapshot; wire textDocument/documentLink."""
    links: dict[str, list[tuple[Span, Path]]] = {}

    def on_snapshot(snapshot: ProjectSnapshot) -> None:
        table = document_links(snapshot.project, os.path.realpath)
        for uri in snapshot.project.documents:
            links[uri] = table.get(uri, [])

    server.projects.listeners.append(on_snapshot)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    def on_links(ls: DockhandServer, params: types.DocumentLinkParams) -> list[types.DocumentLink] | None:
        found = links.get(canonical_uri(params.text_document.uri))
        if found is None:
            return None
        tooltips = get_capability(ls.client_capabilities, "text_document.document_link.tooltip_support", False)
        return [
            types.DocumentLink(
                range=to_range(span), target=target.as_uri(), tooltip=f"Open {target.name}" if tooltips else None
            )
            for span, target in found
        ]

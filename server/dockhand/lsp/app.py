"""create_server: the wiring — one DockhandServer with every feature module's `register(server)` applied.

Kept apart from lsp/server.py so the features can import the server type without it importing them back.
"""

from __future__ import annotations

from dockhand.config import Settings
from dockhand.lsp.features import (
    codelens,
    commands,
    completion,
    definition,
    diagnostics,
    document_links,
    graph,
    hover,
    lifecycle,
    live,
    live_hover,
    references,
    rename,
    services,
    swarm,
    symbols,
    telemetry,
)
from dockhand.lsp.server import DockhandServer


def create_server(settings: Settings | None = None) -> DockhandServer:
    """Build the server and register every feature."""
    server = DockhandServer(settings or Settings.load())
    editor = (hover, live_hover, definition, references, completion, document_links, symbols, rename)
    for feature in (lifecycle, diagnostics, live, swarm, codelens, commands, services, telemetry, graph, *editor):
        feature.register(server)
    return server

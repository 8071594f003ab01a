"""textDocument/hover, live part: a service's live card (state, health, URLs, exits) under the static card.

Added as a section of features/hover.py; reads the live snapshot only, so it answers at once even while Docker is
down or an Actuator endpoint hangs. The static card above it already names dependencies.
"""

from __future__ import annotations

from dockhand.lsp.features.hover import HoverContext, add_hover_section
from dockhand.lsp.server import DockhandServer
from dockhand.runtime.card import live_card


def register(server: DockhandServer) -> None:
    """Append the live section to every service hover."""

    def live_section(context: HoverContext) -> str | None:
        live = server.live
        if context.target.kind != "service" or live is None:
            return None
        view = live.view(context.uri)
        project = view.project if view is not None else context.project.name
        return live_card(live.store.snapshot, project, context.target.name)

    add_hover_section(server, live_section)

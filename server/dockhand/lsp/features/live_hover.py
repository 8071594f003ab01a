"""textDocument/hover, live part: a service's live card (state, health, why it is broken, resource use, URLs)
under the static card.

Added as a section of features/hover.py; reads the live snapshot only, so it answers at once even while Docker is
down or an Actuator endpoint hangs. The static card above it already names dependencies.
"""

from __future__ import annotations

from dockhand.lsp.features.hover import HoverContext, add_hover_section
from dockhand.lsp.server import DockhandServer
from dockhand.runtime.card import live_card
from dockhand.runtime.resources import card_line


def register(server: DockhandServer) -> None:
    """Append the live section to every service hover."""

    def live_section(context: HoverContext) -> str | None:
        live = server.live
        if context.target.kind != "service" or live is None:
            return None
        view = live.view(context.uri)
        project = view.project if view is not None else context.project.name
        snapshot = live.store.snapshot
        containers = snapshot.service_containers(project, context.target.name)
        usage = card_line(live.resources.history(containers[0].id)) if containers else ""
        return live_card(snapshot, project, context.target.name, resources=usage)

    add_hover_section(server, live_section)

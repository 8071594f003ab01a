"""Serves: dockhand/services — engine status and every known project with its services' live state (from the snapshot).

The answer is built by dockhand.runtime.overview; the notifications that tell the client to ask again
(dockhand/stateChanged, dockhand/engineStatus) are sent by features/live.py. Shapes are in lsp/protocol.py.
"""

from __future__ import annotations

from typing import Any

from dockhand.lsp import protocol
from dockhand.lsp.features.swarm import stacks_payload
from dockhand.lsp.server import DockhandServer
from dockhand.runtime.overview import declarations, services_payload


def register(server: DockhandServer) -> None:
    """Wire the dockhand/services request."""

    @server.feature(protocol.SERVICES)
    def on_services(ls: DockhandServer, params: Any) -> dict[str, Any]:
        if ls.live is None:
            return {"engine": {"state": "unknown"}, "projects": []}
        projects = [snap.project for snap in ls.projects.snapshots()]
        payload = services_payload(ls.live.store.snapshot, where=declarations(projects), book=ls.live.resources)
        return {**payload, "stacks": stacks_payload(ls)}

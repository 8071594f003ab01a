"""Serves: dockhand/graph and dockhand/graphExport — one project's dependency graph with live state and traced calls.

The handler gathers snapshots (the live state, the static model's dependency edges, the telemetry store's calls
over the window, read in a worker thread) and hands them to the pure telemetry/graph_view.py; the export formats
are telemetry/graph_export.py. Shapes are in lsp/protocol.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygls.uris import to_fs_path

from dockhand.compose.graph import dependency_graph
from dockhand.errors import DiagnosticError
from dockhand.lsp import protocol
from dockhand.lsp.convert import request_params
from dockhand.lsp.features.telemetry import telemetry_of
from dockhand.runtime.overview import declarations, services_payload
from dockhand.telemetry.graph_export import FORMATS, export
from dockhand.telemetry.graph_view import CallRow, DeclaredEdge, graph_model

if TYPE_CHECKING:
    from dockhand.lsp.server import DockhandServer
    from dockhand.runtime.state import ProjectInfo, Snapshot

DEFAULT_WINDOW_S = 300.0


def choose_project(snapshot: Snapshot, wanted: str | None) -> ProjectInfo | None:
    """The named project, else the workspace's first project with running containers, else its first one.

    A workspace project whose containers were started under another name (`docker compose -p other up`) is shown as
    that running project, the way the live hover shows it: its containers name the project's files in their labels.
    A named workspace project is resolved the same way: the panel names the project it showed last, which may have
    been the files' static project, read before the containers started under another name were seen.
    """
    projects = snapshot.projects
    if wanted:
        named = projects.get(wanted)
        if named is not None and named.source == "files":
            return projects.get(running_name(snapshot, named)) or named
        return named
    local = sorted((p for p in projects.values() if p.source == "files"), key=lambda p: p.name)
    live = [projects.get(running_name(snapshot, p)) or p for p in local]
    running = [p for p in live if any(c.running for c in snapshot.project_containers(p.name))]
    chosen = running or live
    return chosen[0] if chosen else None


def running_name(snapshot: Snapshot, info: ProjectInfo) -> str:
    """The project name the containers of these files run under, as the live features find it for a document."""
    return snapshot.running_project(info.config_files, info.name)


def declared_edges(ls: DockhandServer, info: ProjectInfo) -> list[DeclaredEdge]:
    """Runtime dependencies with their kind and condition from the static model of the project's files; what
    `docker compose config` resolved (depends_on names only) when the editor has no model of those files."""
    files = {str(Path(f)) for f in info.config_files}
    for snap in ls.projects.snapshots():
        project = snap.project
        if project.name == info.name or files.intersection(str(Path(to_fs_path(f) or f)) for f in project.files):
            graph = dependency_graph(project)
            return [DeclaredEdge(a, b, data["kind"], data.get("condition")) for a, b, data in graph.edges(data=True)]
    return [DeclaredEdge(s.name, dep) for s in info.services for dep in s.depends_on]


async def graph_payload(ls: DockhandServer, params: Any) -> dict[str, Any]:
    """The dockhand/graph answer."""
    p = request_params(params)
    window_s = float(p.get("windowS") or DEFAULT_WINDOW_S)
    live = ls.live
    snapshot = live.store.snapshot if live is not None else None
    info = choose_project(snapshot, p.get("project") or None) if snapshot is not None else None
    services: list[dict[str, Any]] = []
    declared: list[DeclaredEdge] = []
    if snapshot is not None and info is not None:
        payload = services_payload(snapshot, where=declarations(snap.project for snap in ls.projects.snapshots()))
        services = next((pr["services"] for pr in payload["projects"] if pr["name"] == info.name), [])
        declared = declared_edges(ls, info)
    calls, traced = await asyncio.to_thread(_observed, ls, window_s)
    model = graph_model(services, declared, calls, traced, window_s)
    names = sorted(snapshot.projects) if snapshot is not None else []
    return {"project": info.name if info else None, "projects": names, **model}


def _observed(ls: DockhandServer, window_s: float) -> tuple[list[CallRow], set[str]]:
    """Calls and traced services over the window from the telemetry store (blocking: runs in a worker thread)."""
    hub = telemetry_of(ls)
    store = hub.store if hub is not None else None
    if store is None:
        return [], set()
    since = time.time_ns() - int(window_s * 1e9)
    return store.call_durations(since), store.services_since(since)


def register(server: DockhandServer) -> None:
    """Wire dockhand/graph and dockhand/graphExport."""

    @server.feature(protocol.GRAPH)
    async def on_graph(ls: DockhandServer, params: Any) -> dict[str, Any]:
        return await graph_payload(ls, params)

    @server.feature(protocol.GRAPH_EXPORT)
    async def on_graph_export(ls: DockhandServer, params: Any) -> dict[str, Any]:
        fmt = str(request_params(params).get("format") or "mermaid")
        if fmt not in FORMATS:
            err = DiagnosticError(
                f"Dockhand cannot export a graph as {fmt!r}", f"Ask for one of: {', '.join(FORMATS)}."
            )
            return {"error": {"message": err.message, "remediation": err.remediation}}
        model = await graph_payload(ls, params)
        return {"project": model["project"], "format": fmt, "text": export(model, fmt)}

"""The live stack: starts the engine, project and health watchers with the start-up work (after the first document's
diagnostics) and pushes changes to the client.

Serves (server → client): textDocument/publishDiagnostics (runtime findings: a `server.diagnostic_sources` entry,
re-published through `server.republish` for the open documents a change touches), workspace/codeLens/refresh,
dockhand/stateChanged, dockhand/engineStatus, and one window/showMessage per engine outage or missing Compose.
Handlers elsewhere read `ls.live.store.snapshot` only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from dockhand.compose.index import canonical_uri
from dockhand.errors import DiagnosticError
from dockhand.lsp import protocol
from dockhand.lsp.convert import to_range
from dockhand.lsp.server import DockhandServer
from dockhand.observe import metrics
from dockhand.runtime import contexts
from dockhand.runtime.compose_cli import ComposeCli, find_compose
from dockhand.runtime.diagnose import diagnose
from dockhand.runtime.discovery import ProjectWatcher, match_project, normalize_project_name
from dockhand.runtime.engine import EngineWatcher
from dockhand.runtime.health import HealthMonitor
from dockhand.runtime.lifecycle import LifecycleRunner
from dockhand.runtime.resources import ResourceBook, StatsSampler, Usage, memory_findings
from dockhand.runtime.state import Change, ProjectInfo, Snapshot, StateStore
from dockhand.runtime.threads import in_daemon_thread

logger = logging.getLogger("dockhand.live")

SOURCE = "dockhand (live)"
ENGINE_KNOWN = "Docker Engine state known"
COMPOSE_PROBED = "Compose probed"
LENS_REFRESH_GAP_S = 0.2
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


@dataclass(frozen=True)
class DocumentView:
    """What the live features need from a compose document: its project and where its services are."""

    uri: str
    project: str
    services: dict[str, types.Range]
    services_key: types.Range | None
    info: ProjectInfo | None

    def depends_on(self, service: str) -> list[str]:
        """What `service` depends on, as Compose resolved the project (empty until it has)."""
        decl = self.info.service(service) if self.info else None
        return list(decl.depends_on) if decl else []


class LiveRuntime:
    """Owns the store and the watchers; the glue between them and the client."""

    def __init__(self, server: DockhandServer) -> None:
        self.server = server
        self.store = StateStore()
        self.runner = LifecycleRunner()
        self.engine: EngineWatcher | None = None
        self.projects: ProjectWatcher | None = None
        self._compose: ComposeCli | DiagnosticError | None = None
        self._compose_lock = threading.Lock()
        self._pending: set[str] = set()
        self._pending_engine = False
        self._cause_ns = 0
        self._flush_scheduled = False
        self._last_lens_refresh = 0.0
        self._lens_refresh_due = False
        self._shown: set[str] = set()
        self._views: dict[str, tuple[tuple[object, ...], DocumentView | None]] = {}
        self.resources = ResourceBook()
        """Resource samples per container (runtime/resources.py), written by the stats sampler's callbacks."""
        self.sampler: StatsSampler | None = None
        self.health: HealthMonitor | None = None
        """The Actuator pollers (other features add targets of their own: Swarm tasks)."""

    # --- Compose ---------------------------------------------------------------------------------------
    def compose(self) -> ComposeCli:
        """The Compose v2 CLI, or the DiagnosticError that says how to get it (found once, then cached).

        The first call runs `compose version`: call it from a thread (discovery and the start-up check both do, at
        once; the lock makes that one probe)."""
        with self._compose_lock:
            if self._compose is None:
                try:
                    self._compose = find_compose(self.server.settings.compose_binary)
                except DiagnosticError as err:
                    self._compose = err
        if isinstance(self._compose, DiagnosticError):
            raise self._compose
        return self._compose

    # --- Start / stop ----------------------------------------------------------------------------------
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        # The diagnostics feature publishes every source's findings together, one publish per document.
        if self.diagnostics not in self.server.diagnostic_sources:
            self.server.diagnostic_sources.append(self.diagnostics)
        self.store.subscribe(self._on_change)
        try:  # the engine's address, from the setting, DOCKER_HOST / DOCKER_CONTEXT or the current context
            contexts.activate(contexts.resolve(self.server.settings.docker_context))
        except DiagnosticError as err:  # a named context that is not there: say so, keep the local engine
            logger.warning("%s — %s", err.message, err.remediation)
            self.server.window_show_message(
                types.ShowMessageParams(types.MessageType.Warning, f"{err.message}. {err.remediation}")
            )
            contexts.activate(contexts.EngineTarget(source="fallback"))
        self.engine = EngineWatcher(self.store, loop)
        self.engine.start()
        self.projects = ProjectWatcher(
            self.store,
            self.server.project_roots,
            lambda: self.server.settings.discovery_depth,
            self.compose,
            self.server.editor_quiet,
        )
        self.health = health = HealthMonitor(self.store, lambda: self.server.settings, self.engine.host)
        self.sampler = StatsSampler(
            self._sampled_containers,
            lambda: self.server.settings.stats_interval_s,
            self._on_usage,
            self._on_round,
            loop,
        )
        self.sampler.start()
        self.server.run_task(self.projects.run(), "live-projects")
        self.server.run_task(health.run(), "live-health")
        self.server.run_task(self._check_compose(), "live-compose-check")

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()
        if self.sampler is not None:
            self.sampler.stop()

    # --- Resource use ----------------------------------------------------------------------------------
    def _sampled_containers(self) -> list[str]:
        """Running containers of this workspace's projects (called from the sampler's thread; snapshots are
        immutable, so reading the current one there is safe)."""
        snapshot = self.store.snapshot
        if snapshot.engine.state != "up":
            return []
        mine = {name: p for name, p in snapshot.projects.items() if p.source == "files"}
        # By name, files or folder (as the health pollers match): `-p other` still runs this workspace's file.
        running = (c for c in snapshot.containers.values() if c.running and not c.oneoff)
        return [c.id for c in running if match_project(c, mine) is not None]

    def _on_usage(self, container_id: str, usage: Usage) -> None:
        if self.resources.add(container_id, usage):  # crossed the memory threshold: the diagnostics change
            container = self.store.snapshot.containers.get(container_id)
            if container is not None:
                self._pending.add(container.project)
                if not self._flush_scheduled:
                    self._flush_scheduled = True
                    asyncio.get_running_loop().call_soon(self._flush)

    def _on_round(self) -> None:
        self.resources.keep_only(self.store.snapshot.containers)
        self.server.protocol.notify(protocol.RESOURCES_CHANGED, {})

    async def _check_compose(self) -> None:
        try:
            await in_daemon_thread(self.compose)
            self.store.set_compose_error(None)
        except DiagnosticError as err:
            self.store.set_compose_error(err)
        self.server.timeline.mark(COMPOSE_PROBED)

    # --- Documents -------------------------------------------------------------------------------------
    def view(self, uri: str) -> DocumentView | None:
        """The project and service positions of an open compose document, from the project index (no parsing).

        Cached per (parse, live snapshot, project model): building it walks every service and container, which cost
        ~4 ms per hover at 1000 services; all three inputs are immutable and replaced on change."""
        uri = canonical_uri(uri)
        inputs = (self.server.projects.document(uri), self.store.snapshot, self.server.projects.for_uri(uri))
        if inputs[0] is None:  # not open (any more): nothing to show, nothing to keep
            self._views.pop(uri, None)
            return None
        cached = self._views.get(uri)
        if cached is not None and all(a is b for a, b in zip(cached[0], inputs, strict=True)):
            return cached[1]
        view = self._build_view(uri)
        self._views[uri] = (inputs, view)
        return view

    def _build_view(self, uri: str) -> DocumentView | None:
        doc = self.server.projects.document(uri)
        root = doc.root if doc is not None else None
        services_node = root.get("services") if root is not None else None
        key = root.key_node("services") if root is not None else None
        if root is None or key is None or services_node is None:
            return None
        services = {name: to_range(k.span) for name, k, _ in services_node.entries()} if services_node.is_map else {}
        path = to_fs_path(uri) or ""
        snapshot = self.store.snapshot
        info = snapshot.project_for_file(path)
        if info is None and self.projects is not None:
            self.projects.add_file(path)
        model = self.server.projects.for_uri(uri)
        derived = info.name if info else (model.name if model else normalize_project_name(Path(path).parent.name))
        # Containers started with `-p other` still name this file in their labels: they are this file's project.
        name = snapshot.running_project((path,), derived)
        return DocumentView(uri, name, services, to_range(key.span), snapshot.projects.get(name) or info)

    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """Runtime findings for an open document, as diagnostics on the services' lines (pure over the snapshot)."""
        view = self.view(uri)
        if view is None:
            return []
        out: list[types.Diagnostic] = []
        for f in diagnose(self.store.snapshot, view.project, list(view.services)):
            where = view.services.get(f.service) if f.service else view.services_key
            where = where or view.services_key or types.Range(types.Position(0, 0), types.Position(0, 0))
            out.append(types.Diagnostic(where, f.message, _SEVERITY[f.severity], code=f.code, source=SOURCE))
        for service, message in memory_findings(self.resources, self.store.snapshot, view.project):
            if service in view.services:
                severity = types.DiagnosticSeverity.Warning
                where = view.services[service]
                out.append(types.Diagnostic(where, message, severity, code="memory-near-limit", source=SOURCE))
        return out

    # --- Pushing changes -------------------------------------------------------------------------------
    def _on_change(self, snapshot: Snapshot, change: Change) -> None:
        self._pending |= change.projects
        self._pending_engine |= change.engine
        self._cause_ns = max(self._cause_ns, change.cause_ns)
        if change.engine:
            self.server.timeline.mark(ENGINE_KNOWN)
            self._announce(snapshot)
        if not self._flush_scheduled:
            # Coalesce the changes of one loop turn (a resync, a burst of events) into one push.
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        metrics.STORE_ITEMS.labels(store="containers").set(len(self.store.snapshot.containers))
        projects, engine = self._pending, self._pending_engine
        cause = self._cause_ns
        self._pending, self._pending_engine, self._cause_ns = set(), False, 0
        affected = [
            uri
            for uri in self.server.projects.open_uris()
            if (view := self.view(uri)) is not None and (engine or view.project in projects)
        ]
        if affected:
            self.server.republish(affected)
        if cause:
            lag_s = time.time() - cause / 1e9
            metrics.DOCKER_EVENT_LAG.observe(max(lag_s, 0.0))
            logger.debug("pushed %d documents %.1f ms after the Docker event", len(affected), lag_s * 1000)
        if projects or engine:
            self.server.protocol.notify(protocol.STATE_CHANGED, {"projects": sorted(projects)})
            self.refresh_lenses()

    def refresh_lenses(self) -> None:
        """Ask the client to refresh code lenses, at most once per LENS_REFRESH_GAP_S (the Swarm feature too)."""
        caps = self.server.client_capabilities.workspace
        if not (caps and caps.code_lens and caps.code_lens.refresh_support) or not self.server.settings.code_lens:
            return
        now = time.monotonic()
        wait = self._last_lens_refresh + LENS_REFRESH_GAP_S - now
        if wait > 0:  # at most one refresh per gap: a burst of changes becomes one trailing refresh
            if not self._lens_refresh_due:
                self._lens_refresh_due = True
                asyncio.get_running_loop().call_later(wait, self._trailing_lens_refresh)
            return
        self._last_lens_refresh = now
        self.server.workspace_code_lens_refresh(None)

    def roots_changed(self) -> None:
        """Workspace folders or discovery roots changed: look for compose projects there now."""
        if self.projects is not None:
            self.projects.rescan_soon()

    def settings_changed(self) -> None:
        """Lenses may have been switched on or off: the client asks again (and gets none when they are off); the
        discovery roots may have changed."""
        self.roots_changed()
        caps = self.server.client_capabilities.workspace
        if caps and caps.code_lens and caps.code_lens.refresh_support:
            self._last_lens_refresh = time.monotonic()
            self.server.workspace_code_lens_refresh(None)

    def _trailing_lens_refresh(self) -> None:
        self._lens_refresh_due = False
        self.refresh_lenses()

    def _announce(self, snapshot: Snapshot) -> None:
        engine = snapshot.engine
        payload: dict[str, Any] = {"state": engine.state, **contexts.describe_payload()}
        if engine.error is not None:
            payload["error"] = {"message": engine.error.message, "remediation": engine.error.remediation}
        self.server.protocol.notify(protocol.ENGINE_STATUS, payload)
        for err in (engine.error if engine.state == "down" else None, snapshot.compose_error):
            if err is not None and err.code not in self._shown:
                self._shown.add(err.code)  # once per outage: cleared when the engine is back
                message = f"{err.message}. {err.remediation}"
                self.server.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))
        if engine.state == "up":
            self._shown = {c for c in self._shown if not c.startswith("docker-")}


def register(server: DockhandServer) -> None:
    """Create the live runtime and start it once the client is initialized."""
    live = LiveRuntime(server)
    server.live = live
    server.on_started.append(live.start)
    server.timeline.expect(ENGINE_KNOWN)
    server.timeline.expect(COMPOSE_PROBED)
    server.on_shutdown.append(live.stop)
    server.on_settings_changed.append(live.settings_changed)
    server.on_folders_changed.append(live.roots_changed)

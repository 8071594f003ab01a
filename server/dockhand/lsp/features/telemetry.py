"""Traces, latency, trace ↔ log correlation and the call graph over LSP.

Serves: dockhand/traces, dockhand/trace, dockhand/latency, dockhand/traceLogs, dockhand/logTrace (requests; shapes in
lsp/protocol.py; dockhand/graph is features/graph.py) and dockhand/telemetryChanged (notification, at most one a
second).
Starts the telemetry hub on `initialized`: the machine's OTLP receiver (or a Jaeger/Zipkin/Tempo poller), log
followers for the workspace's containers, Actuator Prometheus scrapes. Handlers run the hub's blocking queries in
worker threads, so the event loop never waits on SQLite. For the hover: `latency_hover_section`. The queries and
formatting live in telemetry/queries.py, what the stack feeds the hub in telemetry/workspace.py.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import weakref
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from dockhand.config import Settings
from dockhand.errors import DiagnosticError
from dockhand.lsp import protocol
from dockhand.lsp.convert import request_params
from dockhand.lsp.server import DockhandServer
from dockhand.observe import metrics
from dockhand.telemetry import graph
from dockhand.telemetry.log_follower import FollowTarget
from dockhand.telemetry.queries import (
    DEFAULT_WINDOW_S,
    latency_line,
    service_latency_summary,
    stored_spans,
)

if TYPE_CHECKING:  # the hub, providers and scrapes (SQLite, protobuf, httpx) load in _run, when telemetry starts
    from dockhand.telemetry.hub import Telemetry
    from dockhand.telemetry.providers import TraceProvider

logger = logging.getLogger("dockhand.telemetry.lsp")

SOURCE = "dockhand (traces)"
TELEMETRY_STARTED = "telemetry store and receiver started"
POLL_S = 1.0  # tail of the store, and the notification throttle
MAINTAIN_S = 5.0
PROVIDER_POLL_S = 15.0
SCRAPE_EVERY = 3
"""Actuator /actuator/prometheus is scraped every third health round (15 s by default): parsing the exposition was
over half of the idle server's CPU at one scrape per round, and latency tables need no finer steps."""

_HUBS: weakref.WeakKeyDictionary[DockhandServer, Telemetry] = weakref.WeakKeyDictionary()


def telemetry_of(server: DockhandServer) -> Telemetry | None:
    """The server's telemetry hub (None before `initialized`)."""
    return _HUBS.get(server)


def latency_hover_section(server: DockhandServer, service: str) -> str | None:
    """The hover card's latency line of a service, or None without recent spans."""
    summary = service_latency_summary(telemetry_of(server), service)
    return latency_line(summary) if summary is not None else None


def _add_hover_section(server: DockhandServer) -> None:
    try:
        from dockhand.lsp.features.hover import HoverContext, add_hover_section
    except ImportError:  # a server without the hover feature
        return

    def section(context: HoverContext) -> str | None:
        if context.target.kind != "service":
            return None
        return latency_hover_section(server, context.target.name)

    add_hover_section(server, section)


class TelemetryRuntime:
    """Background loops of one server around its hub."""

    def __init__(self, server: DockhandServer) -> None:
        self.server = server
        self.hub: Telemetry | None = None
        self.provider: TraceProvider | None = None
        self._started = asyncio.Event()
        self._launched = False
        self._observed: list[graph.Call] = []
        self._provider_task: asyncio.Task[None] | None = None
        self._reconfiguring = asyncio.Lock()

    async def hub_ready(self) -> Telemetry:
        """The hub, once started (requests that arrive earlier wait for it; the first one starts it if need be)."""
        if not self._launched:
            self.start()
        await self._started.wait()
        assert self.hub is not None
        return self.hub

    def start(self) -> None:
        """Called with the start-up work (after the first document's diagnostics): start everything in the
        background."""
        if self._launched:
            return
        self._launched = True
        self.server.run_task(self._run(), "telemetry")

    def stop(self) -> None:
        if self.hub is not None:
            self.hub.stop()

    def settings_changed(self) -> None:
        """A new OTLP port, host or trace provider applies at once (a hub not started yet reads them itself)."""
        if self.hub is not None:
            self.server.run_task(self._reconfigure(self.hub), "telemetry-reconfigure")

    async def _reconfigure(self, hub: Telemetry) -> None:
        async with self._reconfiguring:  # changes apply in the order they came, each against the one before
            settings, before = self.server.settings, hub.settings
            provider_changed = (settings.trace_provider, settings.trace_url) != (
                before.trace_provider,
                before.trace_url,
            )
            if await asyncio.to_thread(hub.reconfigure, settings) and hub.error is not None:
                self._warn(hub.error)
            if provider_changed:
                if self._provider_task is not None:
                    self._provider_task.cancel()
                self._start_provider(hub, settings)

    async def _run(self) -> None:
        from dockhand.telemetry.hub import Telemetry

        settings = self.server.settings
        hub = Telemetry(settings)
        try:
            await asyncio.to_thread(hub.start)
        except Exception as exc:
            logger.error("telemetry store unavailable: %s", exc)
        self.hub = hub
        _HUBS[self.server] = hub
        timeline = getattr(self.server, "timeline", None)
        if timeline is not None:
            timeline.mark(TELEMETRY_STARTED)
        metrics.measure_store("spans", lambda: stored_spans(hub))
        for store, size in hub.buffer_sizes().items():
            metrics.measure_store(store, size)
        self._started.set()
        if hub.error is not None:
            self._warn(hub.error)
        self._start_provider(hub, settings)
        sources = getattr(self.server, "diagnostic_sources", None)
        if isinstance(sources, list):
            sources.append(self.diagnostics)
        self.server.run_task(self._maintain_loop(hub), "telemetry-maintain")
        self.server.run_task(self._sources_loop(hub), "telemetry-sources")
        await self._poll_loop(hub)

    def _start_provider(self, hub: Telemetry, settings: Settings) -> None:
        """Poll Jaeger / Zipkin / Tempo when one is configured (none for the embedded receiver)."""
        from dockhand.telemetry.providers import create_provider

        self.provider, self._provider_task = None, None
        try:
            self.provider = create_provider(settings.trace_provider, settings.trace_url)
        except DiagnosticError as err:
            self._warn(err)
        if self.provider is not None:
            self._provider_task = self.server.run_task(self._provider_loop(hub, self.provider), "telemetry-provider")

    def _warn(self, err: DiagnosticError) -> None:
        logger.warning("%s — %s", err.message, err.remediation)
        self.server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=f"{err.message}. {err.remediation}")
        )

    async def _poll_loop(self, hub: Telemetry) -> None:
        """Tail the store; announce new data at most once per POLL_S."""
        while True:
            try:
                count, services = await asyncio.to_thread(hub.poll)
            except Exception as exc:
                logger.debug("telemetry poll failed: %s", exc)
                count, services = 0, []
            if count:
                self.server.protocol.notify(protocol.TELEMETRY_CHANGED, {"spans": count, "services": services})
            await asyncio.sleep(POLL_S)

    async def _maintain_loop(self, hub: Telemetry) -> None:
        while True:
            await asyncio.sleep(MAINTAIN_S)
            try:
                await asyncio.to_thread(hub.maintain)
            except Exception as exc:
                logger.warning("telemetry maintenance failed: %s", exc)
            if hub.observed != self._observed:
                self._observed = list(hub.observed)
                republish = getattr(self.server, "republish", None)
                if callable(republish):
                    republish(list(self.server.workspace.text_documents))

    async def _sources_loop(self, hub: Telemetry) -> None:
        """Follow the logs of the workspace's running containers and scrape their Actuator Prometheus endpoint."""
        import httpx

        from dockhand.telemetry.workspace import scrape_prometheus, workspace_containers

        async with httpx.AsyncClient(timeout=self.server.settings.health_timeout_s) as client:
            for round_number in itertools.count():
                live = getattr(self.server, "live", None)
                if live is not None:
                    snapshot = live.store.snapshot
                    targets = [FollowTarget(c.id, c.service, c.name) for c in workspace_containers(snapshot)]
                    try:
                        await asyncio.to_thread(hub.follow, targets)
                        if round_number % SCRAPE_EVERY == 0:
                            await scrape_prometheus(hub, client, snapshot)
                    except Exception:  # one bad round must not end log following and scraping for good
                        logger.exception("telemetry sources round failed")
                await asyncio.sleep(self.server.settings.health_interval_s)

    async def _provider_loop(self, hub: Telemetry, provider: TraceProvider) -> None:
        """Copy recent traces from the configured backend into the store, so every view works the same."""
        since = time.time_ns() - int(DEFAULT_WINDOW_S * 1e9)
        while True:
            now = time.time_ns()
            try:
                spans = await provider.search(None, None, 0.0, since, now, 50)
                if hub.store is not None:
                    await asyncio.to_thread(hub.store.add_spans, spans)
                since = now - 5_000_000_000  # overlap a little: spans land late; duplicates are ignored
            except DiagnosticError as err:
                logger.warning("%s", err)
            await asyncio.sleep(PROVIDER_POLL_S)

    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """Information on a service that calls another it does not declare in depends_on (pure over snapshots)."""
        live = getattr(self.server, "live", None)
        view = live.view(uri) if live is not None and self.hub is not None else None
        if view is None or self.hub is None or view.info is None or not view.info.resolved:
            return []  # depends_on is only known once Compose resolved the project: no guessing
        declared = {name: view.depends_on(name) for name in view.services}
        out = []
        for edge in graph.undeclared_calls(self.hub.observed, declared):
            out.append(
                types.Diagnostic(
                    view.services[edge.caller],
                    graph.undeclared_message(edge),
                    types.DiagnosticSeverity.Information,
                    code="undeclared-call",
                    source=SOURCE,
                )
            )
        return out


def register(server: DockhandServer) -> None:
    """Wire the telemetry requests and start the runtime with the start-up work (DockhandServer.on_started)."""
    runtime = TelemetryRuntime(server)
    _add_hover_section(server)
    hooks = getattr(server, "on_started", None)
    if isinstance(hooks, list):
        hooks.append(runtime.start)
        server.timeline.expect(TELEMETRY_STARTED)
        getattr(server, "on_shutdown", []).append(runtime.stop)
        getattr(server, "on_settings_changed", []).append(runtime.settings_changed)

    async def run(fn: Any, *args: Any) -> Any:
        await runtime.hub_ready()
        return await asyncio.to_thread(fn, *args)

    @server.feature(protocol.TRACES)
    async def on_traces(ls: DockhandServer, params: Any) -> dict[str, Any]:
        hub = await runtime.hub_ready()
        return dict(await run(hub.traces, request_params(params)))

    @server.feature(protocol.TRACE)
    async def on_trace(ls: DockhandServer, params: Any) -> dict[str, Any] | None:
        hub = await runtime.hub_ready()
        trace_id = str(request_params(params).get("traceId", ""))
        found = await run(hub.trace, trace_id)
        if found is None and runtime.provider is not None and trace_id:
            try:  # not copied yet: ask the backend directly
                spans = await runtime.provider.trace(trace_id)
                if spans and hub.store is not None:
                    await run(hub.store.add_spans, spans)
                    found = await run(hub.trace, trace_id)
            except DiagnosticError as err:
                logger.warning("%s", err)
        return found  # type: ignore[no-any-return]

    @server.feature(protocol.LATENCY)
    async def on_latency(ls: DockhandServer, params: Any) -> dict[str, Any]:
        hub = await runtime.hub_ready()
        p = request_params(params)
        rows = await run(hub.latency_rows, float(p.get("windowS") or DEFAULT_WINDOW_S), p.get("service") or None)
        return {"rows": [r.to_payload() for r in rows]}

    @server.feature(protocol.TRACE_LOGS)
    async def on_trace_logs(ls: DockhandServer, params: Any) -> dict[str, Any]:
        hub = await runtime.hub_ready()
        return {"lines": await run(hub.trace_logs, str(request_params(params).get("traceId", "")))}

    @server.feature(protocol.LOG_TRACE)
    def on_log_trace(ls: DockhandServer, params: Any) -> dict[str, str]:
        from dockhand.telemetry.hub import Telemetry

        return Telemetry.log_trace(str(request_params(params).get("line", "")))

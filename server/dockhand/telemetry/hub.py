"""Telemetry: the store, the machine-wide receiver (or a provider), latency rollups, log followers — one object.

Every method here may block (SQLite, HTTP, Docker): the LSP feature calls them from worker threads, and the
hover reads only the in-memory rollups (`latency.service_summary`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from dockhand.config import Settings
from dockhand.errors import DiagnosticError
from dockhand.malloc import release_free_memory
from dockhand.telemetry import graph
from dockhand.telemetry.latency import LatencyRow, SpanLatency, combine_sources
from dockhand.telemetry.log_follower import FollowTarget, LogFollowers
from dockhand.telemetry.logs import LogCorrelator, extract_trace
from dockhand.telemetry.model import Decoded
from dockhand.telemetry.otlp import Receiver, probe_owner
from dockhand.telemetry.prometheus import ScrapeHistory, rows_from_histograms
from dockhand.telemetry.store import STORE_FILE, TelemetryStore

logger = logging.getLogger("dockhand.telemetry")

GRAPH_WINDOW_S = 900.0
HEAVY_EVERY_S = 30.0
"""Retention and pruning run at most this often (they scan up to a million rows); the call graph is re-queried
at maintenance only when spans arrived."""
RECEIVER_SETTINGS = ("trace_provider", "otlp_host", "otlp_port", "otlp_max_body_bytes")
"""Settings the receiver is made from: a change moves it (Telemetry.reconfigure)."""
STARTUP_HORIZON_S = 900.0
"""On start, rollups are rebuilt from spans of the last 15 minutes only: every editor window (and test) starts a
server, and re-reading a full store of millions of spans each time would cost seconds of CPU."""


def port_taken(port: int) -> DiagnosticError:
    """Another program (not Dockhand) holds the OTLP port."""
    return DiagnosticError(
        f"OTLP port {port} is taken by another program, so Dockhand's receiver is off",
        "Stop that program (an OpenTelemetry Collector or Jaeger?) and point your services at it instead with "
        "DOCKHAND_TRACE_PROVIDER, or give Dockhand another port with the `dockhand.otlpPort` setting "
        "(DOCKHAND_OTLP_PORT); a new port applies at once.",
        "otlp-port-taken",
    )


class Telemetry:
    """One per language server; several servers share the machine's receiver and store file."""

    def __init__(self, settings: Settings, docker_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self.latency = SpanLatency(settings.telemetry_max_age_s)
        self.logs = LogCorrelator(settings.log_correlation_lines, settings.log_correlation_window_s)
        self.followers = LogFollowers(self.logs, docker_factory or _docker_client)
        self.scrapes: dict[str, ScrapeHistory] = {}
        self.store: TelemetryStore | None = None
        self.receiver: Receiver | None = None
        self.error: DiagnosticError | None = None
        self.observed: list[graph.Call] = []
        self._cursor = 0
        self._last_heavy_ns = 0
        self._graph_stale = True
        self._receiver_lock = threading.Lock()

    # --- life -------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the store and take (or find) the machine's receiver. Blocking: call from a thread."""
        self.store = self._open_store(self.settings.telemetry_path)
        self._cursor = self.store.first_span_id_since(time.time_ns() - int(STARTUP_HORIZON_S * 1e9))
        with self._receiver_lock:
            self._start_receiver()

    def reconfigure(self, settings: Settings) -> bool:
        """Take new settings; when the receiver's (provider, host, port, body limit) changed, move the receiver at
        once — the remedy for a taken port is a new port, not a restart. True when it moved. Blocking."""
        moved = any(getattr(settings, name) != getattr(self.settings, name) for name in RECEIVER_SETTINGS)
        with self._receiver_lock:
            self.settings = settings
            if not moved:
                return False
            if self.receiver is not None:
                self.receiver.stop()
                self.receiver = None
            self.error = None
            if self.store is not None:
                self._start_receiver()
        return True

    def _start_receiver(self) -> None:
        s = self.settings
        assert self.store is not None
        if s.trace_provider != "otlp" or s.otlp_port == 0:
            return
        self.receiver = Receiver(s.otlp_host, s.otlp_port, s.otlp_max_body_bytes, self._sink, str(self.store.path))
        if self.receiver.start():
            return
        info = probe_owner(s.otlp_port)
        if info is None:
            self.error = port_taken(s.otlp_port)
            logger.warning("%s", self.error)
            return
        owner_store = Path(str(info.get("store", "")))
        logger.info("sharing the OTLP receiver of another Dockhand server (store %s)", owner_store)
        if owner_store.name == STORE_FILE and owner_store != self.store.path:
            self.store.close()
            self.store = self._open_store(owner_store.parent)
            self._cursor = self.store.first_span_id_since(time.time_ns() - int(STARTUP_HORIZON_S * 1e9))

    def _open_store(self, directory: Path) -> TelemetryStore:
        s = self.settings
        return TelemetryStore(
            directory, max_age_s=s.telemetry_max_age_s, max_spans=s.telemetry_max_spans, max_bytes=s.telemetry_max_bytes
        )

    def stop(self) -> None:
        """Close the receiver, followers and store."""
        if self.receiver is not None:
            self.receiver.stop()
        self.followers.stop()
        if self.store is not None:
            self.store.close()

    @property
    def owner(self) -> bool:
        """Whether this process runs the machine's receiver."""
        return self.receiver is not None and self.receiver.owner

    def _sink(self, decoded: Decoded) -> None:
        store = self.store
        if store is None:
            raise RuntimeError("telemetry store is not open yet")
        store.add_spans(decoded.spans)
        store.add_logs(decoded.logs)

    # --- periodic work (threads) ---------------------------------------------------------------------------

    def poll(self) -> tuple[int, list[str]]:
        """Fold spans stored since the last poll (by any server) into the rollups: (how many, which services)."""
        if self.store is None:
            return 0, []
        total, services = 0, set[str]()
        while True:
            rows = self.store.spans_after(self._cursor)
            if not rows:
                break
            self._cursor = rows[-1][0]
            self.latency.add_rows(rows)
            total += len(rows)
            services.update(r[1] for r in rows)
            self._graph_stale = True
        return total, sorted(services)

    def maintain(self) -> None:
        """Retention (owner), takeover of a vanished owner's port, new bridge gateways, pruning, graph refresh."""
        now = time.time_ns()
        with self._receiver_lock:  # not while reconfigure() moves it: this would bind the old port again
            if self.receiver is not None:
                self.receiver.start()  # binds gateways of new networks; takes the port over if its owner left
        if self.store is not None and self._graph_stale:
            self._graph_stale = False
            self.observed = self.store.observed_calls(now - int(GRAPH_WINDOW_S * 1e9))
        if now - self._last_heavy_ns < HEAVY_EVERY_S * 1e9:
            return
        self._last_heavy_ns = now
        self._graph_stale = True  # calls age out of the graph window too
        if self.store is not None and self.owner:
            self.store.enforce_retention(now)
        self.latency.prune(now)
        self.logs.prune(now)
        for service, history in list(self.scrapes.items()):
            history.prune(now / 1e9)
            if not len(history):
                del self.scrapes[service]
        release_free_memory()  # what the pruning freed goes back to the system, not to an idle arena

    def buffer_sizes(self) -> dict[str, Callable[[], int]]:
        """What each in-memory buffer holds now, by its /metrics name (dockhand_store_items{store=…}).

        log_lines: ≤ DOCKHAND_LOG_CORRELATION_LINES per followed container, within DOCKHAND_LOG_CORRELATION_WINDOW_S;
        log_traces: trace ids indexed in them; latency_rollups: (service, operation, minute) histograms, ≤
        latency.MAX_OPERATIONS per minute of DOCKHAND_TELEMETRY_MAX_AGE_S; scrapes: Actuator scrapes kept, ≤
        FINE_S / interval + one a minute of the retention age, per service."""
        return {
            "log_lines": self.logs.line_count,
            "log_traces": self.logs.trace_count,
            "latency_rollups": self.latency.entries,
            "scrapes": lambda: sum(len(history) for history in list(self.scrapes.values())),
        }

    def follow(self, targets: Iterable[FollowTarget]) -> None:
        """Follow the logs of exactly these containers."""
        self.followers.sync(targets)

    def add_scrape(self, service: str, text: str, time_s: float | None = None) -> None:
        """Record an /actuator/prometheus scrape of a service."""
        history = self.scrapes.setdefault(service, ScrapeHistory(self.settings.telemetry_max_age_s))
        history.add(time.time() if time_s is None else time_s, text)

    # --- queries (payloads of lsp/protocol.py) --------------------------------------------------------------

    def traces(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """dockhand/traces."""
        if self.store is None:
            return {"traces": []}
        found = self.store.traces(
            service=params.get("service") or None,
            operation=params.get("operation") or None,
            min_duration_ms=float(params.get("minDurationMs") or 0),
            limit=int(params.get("limit") or 50),
        )
        return {"traces": [t.to_payload() for t in found]}

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        """dockhand/trace (None when unknown)."""
        spans = self.store.trace(trace_id) if self.store is not None else []
        if not spans:
            return None
        return {"traceId": trace_id.lower(), "spans": [s.to_payload() for s in spans]}

    def latency_rows(self, window_s: float, service: str | None = None) -> list[LatencyRow]:
        """dockhand/latency rows: one per operation, from spans where they measured it, else from Prometheus."""
        now = time.time()
        rows = self.latency.table(window_s, int(now * 1e9), service)
        scraped = []
        for name, history in sorted(self.scrapes.items()):
            if service is None or name == service:
                scraped.extend(rows_from_histograms(name, history.window(window_s, now)))
        return combine_sources(rows, scraped)

    def trace_logs(self, trace_id: str) -> list[dict[str, Any]]:
        """dockhand/traceLogs: container lines and OTLP log records of a trace, in time order."""
        lines = [(line.time_ns, line.to_payload()) for line in self.logs.lines_for_trace(trace_id)]
        if self.store is not None:
            for r in self.store.logs_for_trace(trace_id):
                payload = {"service": r.service, "container": "", "timestamp": str(r.time_ns), "line": r.body}
                payload["traceId"] = r.trace_id
                if r.span_id:
                    payload["spanId"] = r.span_id
                lines.append((r.time_ns, payload))
        lines.sort(key=lambda item: item[0])
        return [payload for _, payload in lines]

    @staticmethod
    def log_trace(line: str) -> dict[str, str]:
        """dockhand/logTrace: the trace a log line carries."""
        found = extract_trace(line)
        if found is None:
            return {}
        return {"traceId": found[0], **({"spanId": found[1]} if found[1] else {})}


def _docker_client() -> Any:
    from dockhand.runtime import contexts  # local: the telemetry side needs the engine only to follow logs

    return contexts.engine_client(timeout=30)

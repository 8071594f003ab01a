"""The server's own Prometheus metrics, and the opt-in loopback `/metrics` endpoint that serves them.

Other modules update the shared metrics directly, e.g.::

    from dockhand.observe import metrics
    metrics.POLLER_ERRORS.labels(kind="timeout").inc()
    metrics.DOCKER_EVENT_LAG.observe(lag_seconds)
    metrics.STORE_ITEMS.labels(store="containers").set(len(containers))   # or measure_store(name, fn)

Label values must come from a small fixed set (never user input) so the number of series stays bounded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.process_collector import ProcessCollector

from dockhand.errors import DiagnosticError
from dockhand.observe import heap

logger = logging.getLogger("dockhand.observe")

# A registry of our own, not prometheus_client's global one: nothing imported by accident shows up in it.
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, open fds, cpu seconds
GCCollector(registry=REGISTRY)

# LSP answers are expected in milliseconds; the buckets resolve 0.25 ms … 10 s.
_LATENCY_BUCKETS = (0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

LSP_SECONDS = Histogram(
    "dockhand_lsp_seconds",
    "Time from receiving an LSP message to finishing its handler, by method, kind and outcome.",
    ["method", "kind", "outcome"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
DOCKER_EVENT_LAG = Histogram(
    "dockhand_docker_event_lag_seconds",
    "Time from the engine stamping a Docker event to the state store applying it.",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
DOCKER_EVENTS = Counter(
    "dockhand_docker_events_total",
    "Docker events applied to the state store, by event type (container, network, …).",
    ["type"],
    registry=REGISTRY,
)
DOCKER_EVENT_BACKLOG = Gauge(
    "dockhand_docker_event_backlog",
    "Docker events received but not yet applied.",
    registry=REGISTRY,
)
POLLER_ERRORS = Counter(
    "dockhand_poller_errors_total",
    "Failed health/inspect polls, by kind (timeout, connect, http, parse, docker, …).",
    ["kind"],
    registry=REGISTRY,
)
STORE_ITEMS = Gauge(
    "dockhand_store_items",
    "Items held by each in-memory or on-disk store (containers, services, spans, log_lines, …).",
    ["store"],
    registry=REGISTRY,
)
LSP_TRACKED = Gauge(
    "dockhand_lsp_tracked_futures",
    "Handler futures pygls keeps for cancellation (in-flight requests; a number that only grows is a leak).",
    registry=REGISTRY,
)
OTLP_REQUESTS = Counter(
    "dockhand_otlp_requests_total",
    "OTLP/HTTP POSTs the receiver answered, by route (/v1/traces, /v1/logs, other) and outcome (accepted, "
    "rejected_decode, rejected_size, rejected_type, rejected_route, rejected_length, timeout, unavailable).",
    ["route", "outcome"],
    registry=REGISTRY,
)

MALLOC_BYTES = Gauge(
    "dockhand_malloc_bytes",
    "glibc malloc's view of the process (SQLite, large Python objects, threads' arenas): bytes in_use, free (held "
    "but unused: fragmentation), mmapped. RSS that grows while in_use stays is fragmentation, not a leak.",
    ["kind"],
    registry=REGISTRY,
)


def _malloc_bytes(kind: str) -> Callable[[], float]:
    return lambda: float(heap.malloc_figures().get(kind, 0))


for _kind in ("in_use", "free", "mmapped"):
    MALLOC_BYTES.labels(kind=_kind).set_function(_malloc_bytes(_kind))


def measure_store(store: str, size: Callable[[], int]) -> None:
    """Report `size()` as dockhand_store_items{store=...} at every scrape (it runs on the scrape thread, so it
    must only read immutable snapshots)."""
    STORE_ITEMS.labels(store=store).set_function(lambda: float(size()))


@dataclass
class MetricsEndpoint:
    """A running `/metrics` HTTP server on loopback."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(port: int) -> MetricsEndpoint:
    """Serve REGISTRY on http://127.0.0.1:`port`/metrics — loopback only: the figures are nobody else's business."""
    try:
        server, thread = start_http_server(port, addr="127.0.0.1", registry=REGISTRY)
    except OSError as exc:
        raise DiagnosticError(
            f"The metrics endpoint cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})",
            "Set DOCKHAND_METRICS_PORT (or the `metricsPort` option) to a free port, or to 0 to switch it off.",
            "metrics-port",
        ) from None
    endpoint = MetricsEndpoint(server, thread)
    logger.info("metrics on http://127.0.0.1:%d/metrics", endpoint.port)
    return endpoint

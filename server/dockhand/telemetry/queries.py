"""Questions the editor asks of telemetry, answered purely from the hub's in-memory tables and the live snapshot.

The hover's latency line (`service_latency_summary`, `latency_line`) and the stored span count for /metrics (the
call graph's inputs are gathered by lsp/features/graph.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from dockhand.telemetry import graph

if TYPE_CHECKING:  # the hub (SQLite, the OTLP receiver's protobuf) loads when telemetry starts, not with this module
    from dockhand.telemetry.hub import Telemetry

DEFAULT_WINDOW_S = 300.0


def service_latency_summary(
    telemetry: Telemetry | None, service: str, window_s: float = DEFAULT_WINDOW_S
) -> dict[str, Any] | None:
    """Recent p50/p95 (ms), error rate and count of a service's server spans — pure, in-memory, for the hover.

    `{"p50Ms", "p95Ms", "errorRate", "count", "windowS"}` or None when the service sent no spans in the window.
    """
    if telemetry is None:
        return None
    # Spans name the OTel `service.name`; the hover names the compose service (`orders_api` vs `orders-api`).
    service = graph.compose_name(service, telemetry.latency.services()) or service
    row = telemetry.latency.service_summary(service, window_s, time.time_ns())
    if row is None:
        return None
    return {
        "p50Ms": row.p50_ms,
        "p95Ms": row.p95_ms,
        "errorRate": row.error_rate,
        "count": row.count,
        "windowS": window_s,
    }


def latency_line(summary: dict[str, Any]) -> str:
    """The hover card's latency line (Markdown) of a `service_latency_summary`."""
    return (
        f"**Latency** (last {summary['windowS'] / 60:.0f} min, {summary['count']} requests): "
        f"p50 {summary['p50Ms']:.1f} ms · p95 {summary['p95Ms']:.1f} ms · errors {summary['errorRate']:.1%}"
    )


def stored_spans(hub: Telemetry) -> int:
    """Spans in the telemetry store, for /metrics (read on the scrape thread; the store's reader is thread-safe)."""
    import sqlite3  # loaded already by the store; here so that this module does not load it

    store = hub.store
    if store is None:
        return 0
    try:
        return store.span_count()
    except sqlite3.Error:  # closed at shutdown, or swapped for the owner's store mid-scrape
        return 0

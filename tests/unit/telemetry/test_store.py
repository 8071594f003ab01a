"""TelemetryStore: trace summaries, search, retention by age/count/size, restart survival, call edges."""

from __future__ import annotations

import time
from pathlib import Path

from dockhand.telemetry.otlp_decode import decode_traces_json
from dockhand.telemetry.store import TelemetryStore
from tests.unit.telemetry.otlp_samples import call_chain, traces_json

NOW = time.time_ns()


def _ingest(store: TelemetryStore, start_ns: int, *, error: bool = False) -> str:
    trace_id, request = call_chain(start_ns, error=error)
    store.add_spans(decode_traces_json(traces_json(request)).spans)
    return trace_id


def test_trace_summary_search_and_span_tree(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path)
    ok = _ingest(store, NOW - 2_000_000_000)
    failed = _ingest(store, NOW - 1_000_000_000, error=True)
    newest_first = store.traces()
    assert [t.trace_id for t in newest_first] == [failed, ok]
    summary = newest_first[0]
    assert (summary.root_service, summary.root_operation, summary.span_count) == ("gateway", "GET /api/orders", 4)
    assert summary.error and summary.services == ("gateway", "orders") and summary.duration_ns == 9_000_000
    assert [t.trace_id for t in store.traces(service="orders", operation="GET /orders")] == [failed, ok]
    assert store.traces(service="orders", operation="GET /api/orders") == []
    assert store.traces(min_duration_ms=10) == []
    spans = store.trace(failed)
    assert [s.name for s in spans] == ["GET /api/orders", "GET", "GET /orders", "SELECT orders"]
    assert spans[2].parent_span_id == spans[1].span_id


def test_the_operation_filter_works_without_a_service(tmp_path: Path) -> None:
    """The Traces view filters by operation alone (any service); it used to return every trace."""
    store = TelemetryStore(tmp_path)
    ok = _ingest(store, NOW - 2_000_000_000)
    failed = _ingest(store, NOW - 1_000_000_000, error=True)
    assert [t.trace_id for t in store.traces(operation="SELECT orders")] == [failed, ok]
    assert store.traces(operation="DELETE /nothing") == []
    assert store.traces(service="gateway", operation="SELECT orders") == []  # both filters hold on one span


def test_a_resent_span_is_not_counted_twice(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path)
    _, request = call_chain(NOW)
    spans = decode_traces_json(traces_json(request)).spans
    assert store.add_spans(spans) == 4
    assert store.add_spans(spans) == 0  # an exporter retry
    assert store.traces()[0].span_count == 4 and store.span_count() == 4


def test_a_trace_whose_root_arrives_later_gets_its_root(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path)
    _, request = call_chain(NOW)
    orders_first = decode_traces_json(traces_json({"orders": request["orders"]})).spans
    store.add_spans(orders_first)
    assert store.traces()[0].root_service == "orders"  # best guess so far: the earliest span
    store.add_spans(decode_traces_json(traces_json({"gateway": request["gateway"]})).spans)
    assert store.traces()[0].root_service == "gateway" and store.traces()[0].span_count == 4


def test_retention_by_age_and_by_count(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path, max_age_s=60, max_spans=1000)
    old = _ingest(store, NOW - 120 * 1_000_000_000)
    for i in range(300):
        _ingest(store, NOW - 50_000_000_000 + i * 1_000_000)
    assert store.span_count() == 1204
    dropped = store.enforce_retention(NOW)
    assert dropped == 4 + 200  # the old trace by age, then the oldest 200 beyond 1000
    assert store.trace(old) == [] and store.span_count() == 1000
    assert len(store.traces(limit=1000)) == 250


def test_retention_by_size(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path, max_bytes=200_000)
    for i in range(400):
        _ingest(store, NOW + i)
    before = store.span_count()
    store.enforce_retention(NOW)
    assert store.span_count() < before


def test_the_store_survives_a_restart(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path)
    trace_id = _ingest(store, NOW)
    store.close()
    reopened = TelemetryStore(tmp_path)
    assert reopened.trace(trace_id)[0].name == "GET /api/orders"
    assert reopened.spans_after(0)[-1][0] == reopened.last_span_id()


def test_observed_calls_cross_service_boundaries_only(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path)
    _ingest(store, NOW)
    _ingest(store, NOW, error=True)
    assert store.observed_calls() == [("gateway", "orders", 2, 1)]


def test_a_restarted_server_resumes_its_rollups_from_recent_spans_only(tmp_path: Path) -> None:
    store = TelemetryStore(tmp_path)
    _ingest(store, NOW - 3000 * 1_000_000_000)  # 50 minutes ago
    _ingest(store, NOW - 60 * 1_000_000_000)  # a minute ago
    cursor = store.first_span_id_since(NOW - 900 * 1_000_000_000)
    assert [row[4] for row in store.spans_after(cursor)] == [
        NOW - 60 * 1_000_000_000 + d for d in (0, 1_000_000, 1_500_000, 2_000_000)
    ]
    assert store.first_span_id_since(NOW) == store.last_span_id()  # nothing newer: start at the end

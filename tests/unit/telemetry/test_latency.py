"""Latency tables: span histograms against known distributions, Prometheus histograms against known buckets."""

from __future__ import annotations

import gc
import math
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from dockhand.telemetry.latency import MINUTE_NS, LatencyRow, SpanLatency, combine_sources, quantiles_ms
from dockhand.telemetry.prometheus import ScrapeHistory, parse_http_histograms, rows_from_histograms

NOW = time.time_ns()
Row = tuple[Any, str, str, int, int, int, int]


def exact(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(q * len(ordered)) - 1] / 1e6  # nearest rank


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_span_quantiles_are_within_one_percent_of_exact(seed: int) -> None:
    rng = random.Random(seed)
    durations = [int(rng.lognormvariate(16, 1.0)) for _ in range(20_000)]  # median ≈ 9 ms, long tail
    p50, p95, p99 = quantiles_ms(durations)
    for got, q in ((p50, 0.5), (p95, 0.95), (p99, 0.99)):
        assert got is not None
        assert abs(got - exact(durations, q)) / exact(durations, q) < 0.011


def test_uniform_distribution_quantiles() -> None:
    durations = [i * 1_000_000 for i in range(1, 1001)]  # 1..1000 ms
    p50, p95, p99 = quantiles_ms(durations)
    assert p50 == pytest.approx(500, rel=0.011)
    assert p95 == pytest.approx(950, rel=0.011)
    assert p99 == pytest.approx(990, rel=0.011)


def test_table_counts_server_spans_per_operation_in_the_window() -> None:
    latency = SpanLatency()
    rows = []
    for i in range(100):
        rows.append((i, "orders", "GET /orders", 2, NOW - 30 * 1_000_000_000, (i + 1) * 1_000_000, 2 if i < 5 else 0))
    rows.append((200, "orders", "SELECT", 3, NOW, 5_000_000, 0))  # a client span: not a request served
    rows.append((201, "orders", "GET /orders", 2, NOW - 30 * MINUTE_NS, 999_000_000, 0))  # outside a 5 min window
    latency.add_rows(rows)
    table = latency.table(300, NOW)
    assert len(table) == 1
    row = table[0]
    assert (row.service, row.operation, row.count, row.source) == ("orders", "GET /orders", 100, "spans")
    assert row.error_rate == 0.05
    assert row.p50_ms == pytest.approx(50, rel=0.011) and row.p99_ms == pytest.approx(99, rel=0.011)
    assert latency.table(3600, NOW)[0].count == 101
    summary = latency.service_summary("orders", 300, NOW)
    assert summary is not None and summary.count == 100
    latency.prune(NOW + 2 * 3600 * 1_000_000_000)
    assert latency.table(10**9, NOW) == []


SCRAPE = """\
# HELP http_server_requests_seconds
# TYPE http_server_requests_seconds histogram
http_server_requests_seconds_bucket{method="GET",outcome="SUCCESS",status="200",uri="/orders",le="0.005"} 10
http_server_requests_seconds_bucket{method="GET",outcome="SUCCESS",status="200",uri="/orders",le="0.01"} 50
http_server_requests_seconds_bucket{method="GET",outcome="SUCCESS",status="200",uri="/orders",le="0.05"} 90
http_server_requests_seconds_bucket{method="GET",outcome="SUCCESS",status="200",uri="/orders",le="+Inf"} 90
http_server_requests_seconds_count{method="GET",outcome="SUCCESS",status="200",uri="/orders"} 90
http_server_requests_seconds_sum{method="GET",outcome="SUCCESS",status="200",uri="/orders"} 0.9
http_server_requests_seconds_bucket{method="GET",outcome="SERVER_ERROR",status="500",uri="/orders",le="0.005"} 0
http_server_requests_seconds_bucket{method="GET",outcome="SERVER_ERROR",status="500",uri="/orders",le="0.01"} 0
http_server_requests_seconds_bucket{method="GET",outcome="SERVER_ERROR",status="500",uri="/orders",le="0.05"} 10
http_server_requests_seconds_bucket{method="GET",outcome="SERVER_ERROR",status="500",uri="/orders",le="+Inf"} 10
http_server_requests_seconds_count{method="GET",outcome="SERVER_ERROR",status="500",uri="/orders"} 10
http_server_requests_seconds_sum{method="GET",outcome="SERVER_ERROR",status="500",uri="/orders"} 0.3
# HELP http_server_requests_seconds_max
# TYPE http_server_requests_seconds_max gauge
http_server_requests_seconds_max{method="GET",outcome="SUCCESS",status="200",uri="/orders"} 0.04
http_server_requests_seconds_max{method="GET",outcome="SERVER_ERROR",status="500",uri="/orders"} 0.045
"""


def test_management_operations_are_listed_after_the_business_ones_of_each_service() -> None:
    latency = SpanLatency()
    names = ["GET /actuator/health", "POST /admin/chaos", "GET /api/parcels/{id}", "POST /api/quotes"]
    rows = [(i, svc, name, 2, NOW, 1_000_000, 0) for i, (svc, name) in enumerate((s, n) for s in "ba" for n in names)]
    latency.add_rows(rows)
    order = [(r.service, r.operation) for r in latency.table(300, NOW)]
    business, management = names[2:], names[:2]
    assert order == [(svc, name) for svc in "ab" for name in business + management]


def test_prometheus_histogram_quantiles_mean_max_and_errors() -> None:
    histograms = parse_http_histograms(SCRAPE)
    h = histograms["GET /orders"]
    assert h.count == 100 and h.errors == 10
    (row,) = rows_from_histograms("orders", histograms)
    assert row.source == "prometheus" and row.count == 100 and row.error_rate == 0.1
    # rank 50 of 100 is the last of the (0.005, 0.01] bucket (cumulative 10 → 50): 10 ms exactly.
    assert row.p50_ms == pytest.approx(10.0)
    # rank 95 lies in (0.01, 0.05] holding 50 → 100: 0.01 + 0.04 * 45/50 = 46 ms (histogram_quantile's answer).
    assert row.p95_ms == pytest.approx(46.0)
    assert row.mean_ms == pytest.approx(12.0) and row.max_ms == pytest.approx(45.0)
    assert h.bucket_of(0.046) == (0.01, 0.05)


def test_prometheus_window_is_the_increase_between_scrapes() -> None:
    history = ScrapeHistory()
    history.add(1000.0, SCRAPE)
    doubled = SCRAPE.replace("} 10\n", "} 20\n").replace("} 50\n", "} 100\n").replace("} 90\n", "} 180\n")
    history.add(1400.0, doubled)
    window = history.window(300, 1400.0)  # the baseline is the scrape at t=1000 (older than 300 s)
    assert window["GET /orders"].count == 100
    assert history.window(3600, 1400.0)["GET /orders"].count == 200  # nothing that old: since start


def test_prometheus_history_of_an_hour_stays_small_and_windows_stay_right_to_the_minute() -> None:
    def scrape(requests: int) -> str:
        """A service that has served `requests` requests, all within 5 ms."""
        return "\n".join(
            [
                "# TYPE http_server_requests_seconds histogram",
                f'http_server_requests_seconds_bucket{{method="GET",uri="/orders",le="0.005"}} {requests}',
                f'http_server_requests_seconds_bucket{{method="GET",uri="/orders",le="+Inf"}} {requests}',
                f'http_server_requests_seconds_count{{method="GET",uri="/orders"}} {requests}',
                f'http_server_requests_seconds_sum{{method="GET",uri="/orders"}} {requests * 0.001}',
                "",
            ]
        )

    history = ScrapeHistory(keep_s=3600)
    for second in range(0, 2 * 3600, 5):  # two hours of scrapes every 5 s; one request a second
        history.add(float(second), scrape(second))
    now = float(2 * 3600 - 5)
    assert len(history) <= 60 + 24 + 1  # one a minute for the hour, every scrape of the last two minutes
    assert history.window(60, now)["GET /orders"].count == 60  # recent windows: exact
    assert 600 <= history.window(600, now)["GET /orders"].count <= 660  # older: may start up to a minute early
    assert 3500 <= history.window(3500, now)["GET /orders"].count <= 3560


NOT_FOUND_SCRAPE = """\
# TYPE http_server_requests_seconds histogram
http_server_requests_seconds_bucket{method="GET",outcome="CLIENT_ERROR",status="404",uri="NOT_FOUND",le="0.01"} 7
http_server_requests_seconds_bucket{method="GET",outcome="CLIENT_ERROR",status="404",uri="NOT_FOUND",le="+Inf"} 7
http_server_requests_seconds_count{method="GET",outcome="CLIENT_ERROR",status="404",uri="NOT_FOUND"} 7
http_server_requests_seconds_sum{method="GET",outcome="CLIENT_ERROR",status="404",uri="NOT_FOUND"} 0.01
http_server_requests_seconds_count{method="POST",outcome="CLIENT_ERROR",status="405",uri="UNKNOWN"} 2
http_server_requests_seconds_sum{method="POST",outcome="CLIENT_ERROR",status="405",uri="UNKNOWN"} 0.01
"""


def test_requests_no_route_matched_are_not_operations() -> None:
    histograms = parse_http_histograms(SCRAPE + NOT_FOUND_SCRAPE)
    assert list(histograms) == ["GET /orders"]
    spans = [_row("orders", "GET NOT_FOUND", "spans"), _row("orders", "GET /orders", "spans")]
    assert [r.operation for r in combine_sources(spans, [])] == ["GET /orders"]


def _row(service: str, operation: str, source: str, count: int = 10, p95: float = 5.0) -> LatencyRow:
    return LatencyRow(service, operation, 1.0, p95, p95, count, 0.0, source)


def test_an_operation_seen_by_spans_and_prometheus_is_one_row() -> None:
    spans = [_row("orders_api", "GET /orders/{id}", "spans", count=40), _row("billing", "POST /pay", "spans")]
    metrics = [
        _row("orders-api", "get /orders/{id}/", "prometheus", count=55),  # same operation, other spellings
        _row("orders-api", "GET /actuator/health", "prometheus", count=90),  # spans never see health probes
        _row("pricing", "GET /quote", "prometheus"),  # a service that sends no spans at all
    ]
    rows = combine_sources(spans, metrics)
    assert [(r.service, r.operation, r.source) for r in rows] == [
        ("billing", "POST /pay", "spans"),
        ("orders_api", "GET /orders/{id}", "spans"),
        ("orders_api", "GET /actuator/health", "prometheus"),  # grouped under the span rows' service name
        ("pricing", "GET /quote", "prometheus"),
    ]
    merged = rows[1]
    assert merged.count == 40 and merged.metrics_count == 55  # the traced requests, and all Prometheus counted
    assert merged.to_payload()["sources"] == ["spans", "prometheus"] and merged.to_payload()["metricsCount"] == 55
    assert rows[2].to_payload()["sources"] == ["prometheus"] and "metricsCount" not in rows[2].to_payload()


def traced_bytes(build: Callable[[], object]) -> tuple[object, int]:
    """What `build()` returns and the Python memory it still holds (tracemalloc, after a collection)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        built = build()
        gc.collect()
        return built, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def minute_of_spans(rng: random.Random, minute: int, operations: int = 40, per_operation: int = 50) -> list[Row]:
    """One minute of server spans: `operations` operations of 5 services, log-normal durations around 3 ms."""
    start = NOW - NOW % MINUTE_NS - (60 - minute) * MINUTE_NS  # at the minute's start: its spans stay in it
    return [
        (0, f"svc{op % 5}", f"GET /op{op}", 2, start + i * 1_000_000_000, int(rng.lognormvariate(15, 0.6)), 0)
        for op in range(operations)
        for i in range(per_operation)
    ]


def test_an_hour_of_latency_rollups_stays_small_as_the_maintenance_packs_finished_minutes() -> None:
    """The rollups keep an hour of minutes; kept as dicts of ints they grew ~0.2 MB a minute under the example
    stack's load for that whole hour (the soak's slow RSS rise). Packed, an hour of 40 operations fits in 1 MB."""
    rng = random.Random(7)

    def an_hour() -> SpanLatency:
        latency = SpanLatency(max_age_s=3600)
        for minute in range(60):
            latency.add_rows(minute_of_spans(rng, minute))
            latency.prune(NOW - (59 - minute) * MINUTE_NS)  # the hub's maintenance, twice a minute
        return latency

    latency, held = traced_bytes(an_hour)
    assert held < 1_000_000, f"an hour of rollups holds {held / 1e6:.1f} MB"
    assert isinstance(latency, SpanLatency) and 60 * 40 <= latency.entries() <= 61 * 40  # a minute at each end


def test_packed_minutes_answer_exactly_like_live_ones_and_late_spans_still_count() -> None:
    rng = random.Random(3)
    live, packed = SpanLatency(), SpanLatency()
    for minute in range(50, 60):
        rows = minute_of_spans(rng, minute, operations=6, per_operation=20)
        rows += [(0, "svc0", "GET /op0", 2, NOW - (60 - minute) * MINUTE_NS, 5_000_000, 2)]  # an error each minute
        live.add_rows(rows)
        packed.add_rows(rows)
    packed.prune(NOW + 5 * MINUTE_NS)  # every minute is finished now: all packed
    assert packed.entries() == live.entries() == 60
    for window_s in (60, 300, 600, 3600):
        assert packed.table(window_s, NOW) == live.table(window_s, NOW)
        assert packed.service_summary("svc0", window_s, NOW) == live.service_summary("svc0", window_s, NOW)
    late = [(0, "svc1", "GET /op1", 2, NOW - 5 * MINUTE_NS, 7_000_000, 0)]  # a minute that is packed already
    live.add_rows(late)
    packed.add_rows(late)
    assert packed.table(600, NOW) == live.table(600, NOW)
    assert packed.services() == live.services() == {f"svc{i}" for i in range(5)}
    packed.prune(NOW + 2 * 3600 * 1_000_000_000)
    assert packed.entries() == 0 and packed.services() == set()


def test_spans_stamped_far_ahead_do_not_pile_up() -> None:
    """An exporter with a broken clock (or a hostile one) must not make a minute per distinct future stamp."""
    latency = SpanLatency(max_age_s=3600)
    far = [(0, "svc", "GET /", 2, NOW + (2 + i) * 3600 * 1_000_000_000, 1_000_000, 0) for i in range(500)]
    latency.add_rows([*far, (0, "svc", "GET /", 2, NOW, 1_000_000, 0)])
    latency.prune(NOW)
    assert latency.entries() == 1


def test_prometheus_history_packs_the_scrapes_it_keeps_for_the_hour() -> None:
    """~9 KB a parsed scrape of an example service, one kept a minute per service for the retention hour: packed,
    a kept minute of six operations with twelve buckets costs ~1.3 KB."""
    bounds = [0.001 * 2**i for i in range(11)]

    def scrape(requests: int) -> str:
        lines = ["# TYPE http_server_requests_seconds histogram"]
        for op in range(6):
            labels = f'method="GET",uri="/op{op}",outcome="SUCCESS",status="200"'
            lines += [f'http_server_requests_seconds_bucket{{{labels},le="{le}"}} {requests}' for le in bounds]
            lines += [
                f'http_server_requests_seconds_bucket{{{labels},le="+Inf"}} {requests}',
                f"http_server_requests_seconds_count{{{labels}}} {requests}",
                f"http_server_requests_seconds_sum{{{labels}}} {requests * 0.001}",
            ]
        return "\n".join(lines) + "\n"

    history = ScrapeHistory(keep_s=3600)
    gc.collect()
    tracemalloc.start()
    try:
        for second in range(0, 3600, 15):
            history.add(float(second), scrape(second))
            if second == 600:  # the two minutes of every scrape are full: what grows now is the kept minutes
                gc.collect()
                ten_minutes = tracemalloc.get_traced_memory()[0]
        gc.collect()
        per_minute = (tracemalloc.get_traced_memory()[0] - ten_minutes) / 50
    finally:
        tracemalloc.stop()
    assert per_minute < 2500, f"{per_minute:.0f} bytes a minute kept"
    assert history.window(600, 3585.0)["GET /op3"].count in range(600, 661)

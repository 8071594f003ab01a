"""Trace ids in log lines (Spring Boot 3.2+, JSON, W3C traceparent, logfmt) and the per-container buffers."""

from __future__ import annotations

import pytest

from dockhand.telemetry.log_follower import split_timestamp
from dockhand.telemetry.logs import LogCorrelator, extract_trace

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


@pytest.mark.parametrize(
    "line",
    [
        f"2024-01-01T10:00:00.000Z  INFO 1 --- [orders] [nio-8080-exec-1] [{TRACE}-{SPAN}] c.e.OrderController : found",
        f'{{"@timestamp":"2024-01-01T10:00:00Z","level":"INFO","trace_id":"{TRACE}","span_id":"{SPAN}","msg":"x"}}',
        f'{{"traceId": "{TRACE.upper()}", "spanId": "{SPAN}", "message": "camel case, upper-case hex"}}',
        f"GET /orders traceparent=00-{TRACE}-{SPAN}-01",
        f"level=info trace_id={TRACE} span_id={SPAN} msg=logfmt",
        f"[orders,{TRACE},{SPAN}] Sleuth-style",
    ],
)
def test_trace_and_span_ids_are_found(line: str) -> None:
    assert extract_trace(line) == (TRACE, SPAN)


@pytest.mark.parametrize(
    "line",
    [
        "2024-01-01T10:00:00.000Z  INFO 1 --- [main] o.s.b.StartupInfoLogger : Started in 2 s",
        "[-] no trace yet",
        f'{{"trace_id": "{"0" * 32}", "msg": "all-zero ids mean no trace"}}',
        f"sha256 {TRACE}{TRACE} is not a trace id",
    ],
)
def test_lines_without_a_trace_give_none(line: str) -> None:
    assert extract_trace(line) is None


def test_json_line_without_span_still_has_its_trace() -> None:
    assert extract_trace(f'{{"trace_id":"{TRACE}"}}') == (TRACE, "")


def test_lines_of_a_trace_come_from_every_container_in_time_order() -> None:
    logs = LogCorrelator(max_lines=100, window_s=900)
    other = "1" * 32
    logs.add("c-gw", "gateway", 30, f"[{TRACE}-{SPAN}] gateway answers")
    logs.add("c-orders", "orders", 20, f'{{"trace_id":"{TRACE}","msg":"orders queried"}}')
    logs.add("c-gw", "gateway", 10, f"[{TRACE}-{SPAN}] gateway receives")
    logs.add("c-orders", "orders", 15, f"[{other}-{SPAN}] another request")
    logs.add("c-orders", "orders", 16, "no trace at all")
    lines = logs.lines_for_trace(TRACE.upper())
    assert [(line.time_ns, line.service, line.container) for line in lines] == [
        (10, "gateway", "c-gw"),
        (20, "orders", "c-orders"),
        (30, "gateway", "c-gw"),
    ]
    assert lines[0].to_payload()["spanId"] == SPAN and "spanId" not in lines[1].to_payload()


def test_buffers_are_bounded_and_evicted_lines_leave_the_index() -> None:
    logs = LogCorrelator(max_lines=3, window_s=900)
    for i in range(5):
        logs.add("c", "svc", i, f"[{TRACE}-{SPAN}] line {i}")
    assert logs.line_count() == 3
    assert [line.text[-6:] for line in logs.lines_for_trace(TRACE)] == ["line 2", "line 3", "line 4"]
    logs.prune(now_ns=900 * 1_000_000_000 + 4)  # the window drops lines older than 900 s
    assert [line.time_ns for line in logs.lines_for_trace(TRACE)] == [4]


def test_the_window_empties_the_index_and_forgets_containers_left_without_lines() -> None:
    """Containers come and go all day (every `up` makes new ones): a buffer the window has emptied must go too."""
    logs = LogCorrelator(max_lines=100, window_s=60)
    second = 1_000_000_000
    for n in range(20):  # twenty short-lived containers, one traced line each
        logs.add(f"c{n}", "svc", n * second, f"[{n + 1:032x}-{SPAN}] hello")  # (an all-zero id is no trace)
    assert (logs.line_count(), logs.trace_count()) == (20, 20)
    logs.prune(now_ns=75 * second)  # lines before second 15 are out of the window
    assert (logs.line_count(), logs.trace_count()) == (5, 5)
    assert len(logs._buffers) == 5
    assert logs.resume_time_ns("c3") == 0 and logs.resume_time_ns("c19") == 19 * second
    logs.add("c3", "svc", 76 * second, f"[{TRACE}-{SPAN}] back again")  # a container seen again starts afresh
    assert [line.container for line in logs.lines_for_trace(TRACE)] == ["c3"]


def test_docker_timestamps_keep_nanoseconds() -> None:
    time_ns, text = split_timestamp("2024-01-01T10:00:00.123456789Z hello world")
    assert time_ns == 1_704_103_200_123_456_789 and text == "hello world"
    assert split_timestamp("2024-01-01T10:00:00Z x") == (1_704_103_200_000_000_000, "x")
    assert split_timestamp("no stamp")[1] == "no stamp"

"""Traces, latency and trace logs of the real parcel-shop stack, through the real server's LSP requests.

The stack's services export OTLP/JSON spans to the server's own receiver (on the Docker bridge gateway), log
Spring-style `[trace-span] ` and JSON lines, and serve Actuator Prometheus histograms. Requests carry a
`traceparent` we chose, so we know which trace each request made.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Any

import httpx
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from dockhand.lsp import protocol
from dockhand.telemetry.logs import extract_trace
from dockhand.telemetry.prometheus import HttpHistogram, parse_http_histograms
from tests.docker.conftest import ExamplesStack
from tests.lsp_client import answer_like_vscode, ask

REQUESTS = 40
OPERATION = "GET /api/parcels/{id}"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"]))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    stack: ExamplesStack = request.getfixturevalue("examples_stack")

    answer_like_vscode(lsp_client)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=stack.directory.as_uri(),
            initialization_options={
                "trusted": True,
                "otlpPort": stack.otlp_port,  # where the stack exports (loopback + bridge gateways: "auto")
                "telemetryDir": str(request.getfixturevalue("tmp_path")),
                "healthIntervalS": 1.0,
            },
        )
    )
    yield
    await lsp_client.shutdown_session()


async def until(check: Any, what: str, attempts: int = 120) -> Any:
    """Re-ask (each round waits for the next telemetryChanged or a second) until `check()` gives a value."""
    import asyncio

    for _ in range(attempts):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.5)
    pytest.fail(f"gave up waiting for {what}")


def scrape(stack: ExamplesStack) -> Any:
    text = httpx.get(f"{stack.urls['gateway']}/actuator/prometheus", timeout=10).text
    return parse_http_histograms(text).get(OPERATION, HttpHistogram())


async def test_requests_become_traces_latency_and_log_lines(
    client: LanguageClient, examples_stack: ExamplesStack
) -> None:
    stack = examples_stack
    await ask(client, protocol.TRACES, {})  # the hub (and its receiver) are up
    before = scrape(stack)
    made: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=15) as http:
        for i in range(REQUESTS):
            trace_id = uuid.uuid4().hex
            parcel = i % 3 + 1  # the three parcels the shop seeds
            headers = {"traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01"}
            response = await http.get(f"{stack.urls['gateway']}/api/parcels/{parcel}", headers=headers)
            assert response.status_code == 200
            made[trace_id] = parcel
    after = scrape(stack)

    async def all_traces() -> Any:
        found = (await ask(client, protocol.TRACES, {"service": "gateway", "limit": 1000}))["traces"]
        ours = {t["traceId"]: t for t in found if t["traceId"] in made}
        # Each service exports on its own schedule: a trace is complete once all three services' spans are in.
        complete = all({"gateway", "parcels", "tracking"} <= set(t["services"]) for t in ours.values())
        return ours if len(ours) == REQUESTS and complete else None

    traces = await until(all_traces, "every request's trace")
    for trace_id, summary in traces.items():
        assert summary["rootService"] == "gateway" and summary["rootOperation"] == OPERATION
        tree = await ask(client, protocol.TRACE, {"traceId": trace_id})
        gateway_server = next(s for s in tree["spans"] if s["service"] == "gateway" and s["kind"] == "server")
        # The request we made, with the parcel id we asked for, is the span the gateway recorded.
        assert str(made[trace_id]) in str(gateway_server["attributes"]), gateway_server
        ids = {s["spanId"] for s in tree["spans"]}
        assert all(s.get("parentSpanId") in ids for s in tree["spans"] if s is not gateway_server)

    # Span-based p95 (our requests only: the store is this test's own) against the gateway's own histogram
    # increase over the same requests: they agree within the histogram's bucket resolution.
    async def span_row_of_all() -> Any:  # the rollups fold new spans in once a second
        rows = (await ask(client, protocol.LATENCY, {"windowS": 900, "service": "gateway"}))["rows"]
        row = next((r for r in rows if r["source"] == "spans" and r["operation"] == OPERATION), None)
        return row if row is not None and row["count"] >= REQUESTS else None

    span_row = await until(span_row_of_all, "every request in the span latency table")
    assert span_row["count"] == REQUESTS and span_row["errorRate"] == 0
    increase = after.minus(before)
    assert increase.count == REQUESTS
    prometheus_p95 = increase.quantile(0.95)
    assert prometheus_p95 is not None
    lower, upper = increase.bucket_of(prometheus_p95)
    assert lower * 0.95 <= span_row["p95Ms"] / 1000 <= upper * 1.05, (span_row, lower, upper)

    # The gateway's own /actuator/prometheus counts the same operation: it joins the span row, never a second row.
    async def merged_rows() -> Any:
        found = (await ask(client, protocol.LATENCY, {"windowS": 900, "service": "gateway"}))["rows"]
        ours = [r for r in found if r["operation"] == OPERATION]
        return ours if any(r.get("metricsCount", 0) >= REQUESTS for r in ours) else None

    (merged,) = await until(merged_rows, "the server's scrape of the gateway's /actuator/prometheus")
    assert merged["source"] == "spans" and merged["sources"] == ["spans", "prometheus"], merged
    assert merged["metricsCount"] >= REQUESTS and merged["meanMs"] > 0 and merged["p95Ms"] > 0
    # A path no route matches is counted by Spring under uri="NOT_FOUND": not an operation, so not a row.
    async with httpx.AsyncClient(timeout=15) as http:
        assert (await http.get(f"{stack.urls['gateway']}/no/such/page")).status_code == 404
        assert 'uri="NOT_FOUND"' in (await http.get(f"{stack.urls['gateway']}/actuator/prometheus")).text
    every_row = (await ask(client, protocol.LATENCY, {"windowS": 900}))["rows"]
    assert not [r["operation"] for r in every_row if "NOT_FOUND" in r["operation"]], every_row

    # Dockhand's own probes (Actuator health every second, the one-off look-up of /v3/api-docs and friends on each
    # service) are not the user's traces: none of them shows up as a trace.
    every = (await ask(client, protocol.TRACES, {"limit": 1000}))["traces"]
    probes = [t["rootOperation"] for t in every if t["traceId"] not in made]
    assert not [p for p in probes if "NOT_FOUND" in p or "/actuator" in p], probes

    # Trace → logs: exactly the container lines that carry the trace id, from every service, in time order.
    sample = list(made)[:5]
    for trace_id in sample:
        expected = sorted(
            (service, line)
            for service in stack.urls
            for line in stack.logs(service).splitlines()
            if (found := extract_trace(line)) is not None and found[0] == trace_id
        )
        assert {s for s, _ in expected} >= {"gateway", "parcels"}, expected

        async def lines_of(trace_id: str = trace_id, expected: Any = expected) -> Any:
            got = (await ask(client, protocol.TRACE_LOGS, {"traceId": trace_id}))["lines"]
            return got if sorted((g["service"], g["line"]) for g in got) == expected else None

        lines = await until(lines_of, f"the log lines of {trace_id}")
        times = [int(line["timestamp"]) for line in lines]
        assert times == sorted(times)
        assert all(line["traceId"] == trace_id for line in lines)
        picked = lines[0]
        assert await ask(client, protocol.LOG_TRACE, {"container": picked["container"], "line": picked["line"]}) == {
            "traceId": trace_id,
            **({"spanId": picked["spanId"]} if "spanId" in picked else {}),
        }

    graph = await ask(client, protocol.GRAPH, {})
    edge = next(e for e in graph["edges"] if e["from"] == "gateway" and e["to"] == "parcels")
    assert edge["observed"] and edge["calls"] >= REQUESTS

"""With self-tracing on, the server's own LSP work shows up as traces of service `dockhand` in its own receiver,
so Dockhand can show itself in its trace view (OpenTelemetry SDK → OTLP/HTTP → embedded receiver → store), and
/metrics counts the receiver's requests by route and outcome."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import free_port, hover_text, open_document, request, running_server, wait_for_log


async def test_own_spans_reach_the_own_receiver_and_the_trace_view(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  web:\n    image: dockhand/busybox:local\n")
    options = {
        "selfTracing": True,
        "otlpPort": port,
        "telemetryDir": str(tmp_path / "telemetry"),
        "metricsPort": metrics_port,
    }
    async with running_server(options, workspace=str(tmp_path)) as lsp:
        assert await wait_for_log(lsp, f"spans go to http://127.0.0.1:{port}/v1/traces")
        uri = open_document(lsp, str(compose))
        for _ in range(3):
            await hover_text(lsp, uri, 1, 3)

        traces: list[dict[str, Any]] = []
        for _ in range(100):  # spans are batched (1 s) and stored in the background: bounded wait
            traces = (await request(lsp, "dockhand/traces", {"service": "dockhand", "limit": 100}))["traces"]
            if any(t["rootOperation"] == "lsp textDocument/hover" for t in traces):
                break
            await asyncio.sleep(0.2)
        operations = {t["rootOperation"] for t in traces}
        assert "lsp textDocument/hover" in operations, operations
        assert "lsp textDocument/didOpen" in operations  # notifications too; tracing starts on `initialized`
        assert all(t["rootService"] == "dockhand" for t in traces)
        hover = next(t for t in traces if t["rootOperation"] == "lsp textDocument/hover")
        trace = await request(lsp, "dockhand/trace", {"traceId": hover["traceId"]})
        root = next(s for s in trace["spans"] if not s.get("parentSpanId"))
        assert root["name"] == "lsp textDocument/hover", root
        # pygls hands custom answers over as named tuples, which rename dotted keys: compare the values
        assert {"textDocument/hover", "request"} <= set(root["attributes"].values())
        assert root["status"] != "error"

        async with httpx.AsyncClient(timeout=5) as http:
            garbage = await http.post(
                f"http://127.0.0.1:{port}/v1/traces",
                content=b"\xff\xff not protobuf",
                headers={"Content-Type": "application/x-protobuf"},
            )
            assert garbage.status_code == 400
            text = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        counted = {
            (s.labels["route"], s.labels["outcome"]): s.value
            for family in text_string_to_metric_families(text)
            if family.name == "dockhand_otlp_requests"
            for s in family.samples
            if s.name == "dockhand_otlp_requests_total"
        }
        assert counted.get(("/v1/traces", "accepted"), 0) >= 1, counted  # the exports that brought the spans
        assert counted.get(("/v1/traces", "rejected_decode")) == 1, counted

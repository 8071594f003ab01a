"""Hostile OTLP clients against the server's own receiver: garbage, oversize bodies, a gzip bomb, lying lengths
and a swarm of 1-byte-a-second senders — while an honest exporter in the same run still gets its spans stored
and hovers keep answering. Latency and memory are printed as figures."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.faults.conftest import BUSYBOX, Figures
from tests.faults.hostile import garbage, gzip_bomb, gzip_of, raw_post, slow_sender
from tests.live_server import (
    free_port,
    hover_text,
    open_document,
    request,
    running_server,
    server_process,
    wait_for_log,
)

MAX_BODY = 1_000_000
SLOW_SENDERS = 32  # half the receiver's connection slots (telemetry.otlp.MAX_CONNECTIONS = 64)
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def honest_export(service: str, trace_id: bytes) -> bytes:
    now = time.time_ns()
    span = Span(
        trace_id=trace_id,
        span_id=trace_id[:8],
        name="GET /honest",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=now - 3_000_000,
        end_time_unix_nano=now,
    )
    resource = Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))])
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])])]
    ).SerializeToString()


async def test_receiver_rejects_hostile_payloads_and_keeps_serving_honest_clients(
    tmp_path: Path, figures: Figures
) -> None:
    await hostile_run(tmp_path, figures, SLOW_SENDERS)


async def test_a_swarm_of_slow_senders_does_not_lock_honest_exporters_out(tmp_path: Path, figures: Figures) -> None:
    await hostile_run(tmp_path, figures, 200)


async def hostile_run(tmp_path: Path, figures: Figures, slow_senders: int) -> None:
    """Attack the receiver with every hostile payload and `slow_senders` slowloris connections while an honest
    exporter sends 10 traces and the editor hovers; check every honest trace is stored and each attack got the
    right refusal."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  web:\n    image: {BUSYBOX}\n")
    options = {"otlpPort": port, "otlpMaxBodyBytes": MAX_BODY, "telemetryDir": str(tmp_path / "telemetry")}
    async with running_server(options, workspace=str(tmp_path)) as lsp:
        assert await wait_for_log(lsp, f"OTLP receiver listening on {url}", within=30)
        uri = open_document(lsp, str(compose))
        process = server_process(lsp)
        rss_before, threads_before = process.memory_info().rss, process.num_threads()

        stop = threading.Event()
        swarm = [
            threading.Thread(target=slow_sender, args=(url, "/v1/traces", stop), daemon=True)
            for _ in range(slow_senders)
        ]
        for sender in swarm:
            sender.start()
        hostile: dict[str, tuple[int, float]] = {}

        def attack(name: str, body: bytes, headers: dict[str, str]) -> None:
            started = time.perf_counter()
            status, _ = raw_post(url, "/v1/traces", body, headers)
            hostile[name] = (status, (time.perf_counter() - started) * 1000)

        try:
            bomb = gzip_bomb()
            attacks = [
                ("garbage protobuf", garbage(), {**PROTOBUF, "Content-Length": str(64 * 1024)}),
                (
                    "garbage JSON",
                    b"{" * 4096,
                    {"Content-Type": "application/json", "Content-Length": "4096"},
                ),
                ("oversize body", bytes(2 * MAX_BODY), {**PROTOBUF, "Content-Length": str(2 * MAX_BODY)}),
                (
                    "gzip bomb (1 GiB inflated)",
                    bomb,
                    {**PROTOBUF, "Content-Encoding": "gzip", "Content-Length": str(len(bomb))},
                ),
                (
                    "gzipped garbage",
                    gzip_of(garbage()),
                    {**PROTOBUF, "Content-Encoding": "gzip", "Content-Length": str(len(gzip_of(garbage())))},
                ),
                ("unknown encoding", b"xx", {**PROTOBUF, "Content-Encoding": "br", "Content-Length": "2"}),
                ("no Content-Length", b"", PROTOBUF),
                ("wrong content type", b"<xml/>", {"Content-Type": "text/xml", "Content-Length": "6"}),
            ]
            workers = [threading.Thread(target=attack, args=item, daemon=True) for item in attacks]
            for worker in workers:
                worker.start()

            hover_ms: list[float] = []
            honest_ms: list[float] = []
            trace_ids = [bytes([n]) * 16 for n in range(1, 11)]
            async with httpx.AsyncClient(timeout=30) as http:
                for trace_id in trace_ids:  # the honest exporter, during the attack
                    sent = time.perf_counter()
                    response = await http.post(
                        f"{url}/v1/traces", content=honest_export("honest-svc", trace_id), headers=PROTOBUF
                    )
                    honest_ms.append((time.perf_counter() - sent) * 1000)
                    assert response.status_code == 200, response.text
                    sent = time.perf_counter()
                    await hover_text(lsp, uri, 1, 3)
                    hover_ms.append((time.perf_counter() - sent) * 1000)
                    await asyncio.sleep(0.2)
            for worker in workers:
                await asyncio.to_thread(worker.join, 60)

            rss_after, threads_during = process.memory_info().rss, process.num_threads()
            traces = await request(lsp, "dockhand/traces", {"service": "honest-svc", "limit": 50})
        finally:
            stop.set()

        stored = {t["traceId"] for t in traces["traces"]}
        assert stored == {t.hex() for t in trace_ids}, "every honest span is stored, none lost"
        expected = {
            "garbage protobuf": 400,
            "garbage JSON": 400,
            "oversize body": 413,
            "gzip bomb (1 GiB inflated)": 413,
            "gzipped garbage": 400,
            "unknown encoding": 400,
            "no Content-Length": 411,
            "wrong content type": 415,
        }
        assert {name: status for name, (status, _) in hostile.items()} == expected
        assert process.is_running()
        figures.latencies(f"honest OTLP export during the attack ({slow_senders} slow senders)", honest_ms)
        figures.latencies("hover during the OTLP attack", hover_ms)
        figures.add(
            "hostile OTLP answers",
            ", ".join(f"{name} → {status} in {ms:.0f} ms" for name, (status, ms) in hostile.items()),
        )
        figures.add(
            "server during the OTLP attack",
            f"RSS {rss_before / 2**20:.1f} → {rss_after / 2**20:.1f} MB, threads {threads_before} → "
            f"{threads_during} with {slow_senders} 1-byte/s senders connected",
        )

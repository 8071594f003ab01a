"""Telemetry benchmark: OTLP ingest rate, RSS with ≥1M spans stored, latency table and trace → logs speed.

Run: `.venv/bin/python bench/telemetry_bench.py` (a few minutes; `--spans`, `--containers`, `--lines` to scale,
`--no-docker` to skip the container part). Prints figures next to the goals; asserts nothing.

1. OTLP ingest: realistic protobuf export requests (512 spans, HTTP semantic-convention attributes) decoded and
   stored by one thread (CPU time of this process = one core), then the same over real HTTP into the receiver.
2. RSS of this process once ≥1M spans are stored and folded into the latency rollups.
3. The latency table (p50/p95/p99 per service and operation) over those spans.
4. Trace → logs: 20 real containers each print 100k Spring-style lines; Dockhand's followers read them through
   the Docker API into its buffers, then one trace's lines are looked up — next to
   `docker compose logs | grep <id>` timed in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan

from dockhand.config import Settings
from dockhand.telemetry.hub import Telemetry
from dockhand.telemetry.log_follower import FollowTarget
from dockhand.telemetry.otlp import Receiver
from dockhand.telemetry.otlp_decode import decode_traces_protobuf

SERVICES = ["gateway", "parcels", "pricing", "tracking", "notifier", "billing", "search", "users"]
ROUTES = ["/api/parcels", "/api/parcels/{id}", "/api/quotes", "/api/parcels/{id}/tracking", "/internal/jobs"]
BATCH = 512


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def export_request(rng: random.Random, start_ns: int, spans: int = BATCH) -> bytes:
    """One export request as an SDK's batch processor sends it: spans of several traces, several services."""
    request = ExportTraceServiceRequest()
    by_service = {}
    for service in SERVICES:
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend([_kv("service.name", service), _kv("host.name", "c0ffee")])
        by_service[service] = resource_spans.scope_spans.add().spans
    for _ in range(spans // 4):
        trace_id, root, client, callee = os.urandom(16), os.urandom(8), os.urandom(8), os.urandom(8)
        caller, target = rng.sample(SERVICES, 2)
        route = rng.choice(ROUTES)
        t0 = start_ns + rng.randrange(0, 50_000_000_000)
        d = int(rng.lognormvariate(15.5, 0.8))
        status = 500 if rng.random() < 0.02 else 200
        http = [_kv("http.request.method", "GET"), _kv("http.route", route), _kv("http.response.status_code", status)]
        for spans_of, span_id, parent, name, kind, offset, length in (
            (by_service[caller], root, b"", f"GET {route}", 2, 0, d),
            (by_service[caller], client, root, "GET", 3, d // 10, d * 8 // 10),
            (by_service[target], callee, client, f"GET {route}", 2, d // 8, d * 7 // 10),
            (by_service[target], os.urandom(8), callee, "SELECT parcels", 3, d // 5, d // 4),
        ):
            span = PbSpan(
                trace_id=trace_id,
                span_id=span_id,
                parent_span_id=parent,
                name=name,
                kind=kind,
                start_time_unix_nano=t0 + offset,
                end_time_unix_nano=t0 + offset + length,
            )
            span.attributes.extend(http)
            if status == 500:
                span.status.code = 2
            spans_of.append(span)
    return bytes(request.SerializeToString())


def bench_spans(args: argparse.Namespace, folder: Path) -> Telemetry:
    rng = random.Random(7)
    settings = Settings(
        telemetry_dir=str(folder), otlp_port=0, telemetry_max_spans=args.spans * 2, telemetry_max_age_s=7200
    )
    hub = Telemetry(settings)
    hub.start()
    assert hub.store is not None
    now = time.time_ns() - 3_000_000_000_000  # spread over the last ~50 minutes
    print(f"RSS at start: {rss_mb():.0f} MB")

    # 1. ingest on one thread: decode + store, CPU time.
    requests = [export_request(rng, now + i * 50_000_000_000 // 40) for i in range(40)]
    cpu0, wall0, stored = time.process_time(), time.perf_counter(), 0
    for body in requests:
        stored += hub.store.add_spans(decode_traces_protobuf(body).spans)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(
        f"OTLP protobuf ingest, one thread: {stored / cpu:,.0f} spans/s CPU ({stored / wall:,.0f}/s wall)  goal ≥ 20,000"
    )

    # ... and over real HTTP into the receiver (client in this process too: both share the 2 cores).
    receiver = Receiver("127.0.0.1", 0, 8_000_000, hub._sink, str(hub.store.path))
    receiver.start()
    bodies = [export_request(rng, now + i * 1_000_000) for i in range(40)]
    wall0 = time.perf_counter()
    with httpx.Client() as client:
        for body in bodies:
            reply = client.post(
                f"http://127.0.0.1:{receiver.port}/v1/traces",
                content=body,
                headers={"Content-Type": "application/x-protobuf"},
            )
            assert reply.status_code == 200
    wall = time.perf_counter() - wall0
    receiver.stop()
    print(f"OTLP protobuf ingest over HTTP (client and receiver here): {len(bodies) * BATCH / wall:,.0f} spans/s")

    # 2. fill to ≥1M spans.
    wall0 = time.perf_counter()
    while hub.store.span_count() < args.spans:
        for _ in range(20):
            hub.store.add_spans(decode_traces_protobuf(export_request(rng, now + rng.randrange(0, 3000) * 10**9)).spans)
    print(f"stored {hub.store.span_count():,} spans in {time.perf_counter() - wall0:.0f} s; "
          f"file {hub.store.path.stat().st_size / 1e6:.0f} MB")  # fmt: skip
    fresh = [export_request(rng, now + i * 1_000_000_000) for i in range(40)]
    cpu0, stored = time.process_time(), 0
    for body in fresh:
        stored += hub.store.add_spans(decode_traces_protobuf(body).spans)
    print(
        f"OTLP protobuf ingest, one thread, into the full store: {stored / (time.process_time() - cpu0):,.0f} spans/s CPU"
    )
    wall0 = time.perf_counter()
    folded, _ = hub.poll()
    print(f"latency rollups built from {folded:,} stored spans in {time.perf_counter() - wall0:.1f} s (once per start)")
    print(f"RSS with {hub.store.span_count():,} spans stored: {rss_mb():.0f} MB  goal ≤ 200 MB")

    # 3. the latency table over all of them.
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        rows = hub.latency_rows(7200)
        timings.append(time.perf_counter() - t0)
    counted = sum(r.count for r in rows)
    print(f"latency table over {counted:,} server spans ({len(rows)} rows): "
          f"{min(timings) * 1000:.1f} ms (best of 5), {max(timings) * 1000:.1f} ms worst  goal ≤ 200 ms")  # fmt: skip
    t0 = time.perf_counter()
    listed = hub.traces({"service": "pricing", "limit": 50})
    print(f"trace search (service filter, 50 newest) over the store: {(time.perf_counter() - t0) * 1000:.1f} ms "
          f"({len(listed['traces'])} traces)")  # fmt: skip
    return hub


COMPOSE = """\
services:
{services}
"""
SERVICE = """\
  svc{n}:
    image: dockhand/busybox:local
    command: ["sh", "-c", "awk 'BEGIN {{ for (i = 0; i < {lines}; i++) {{ t = sprintf(\\"%08x\\", i % 5000); printf \\"2026-11-28T10:00:00.000Z  INFO 1 --- [svc{n}] [nio-8080-exec-1] [%s%s%s%s-00f067aa0ba902b7] c.e.Handler : step %d of the request\\\\n\\", t, t, t, t, i }} }}'; sleep 3600"]
    init: true
"""


def compose_binary() -> list[str]:
    from dockhand.runtime.compose_cli import find_compose

    return list(find_compose().argv())


def bench_logs(args: argparse.Namespace, hub: Telemetry) -> None:
    import docker

    client = docker.from_env(timeout=120)
    project = f"dhbench-{uuid.uuid4().hex[:8]}"
    folder = Path(tempfile.mkdtemp(prefix="dockhand-logbench-"))
    (folder / "compose.yaml").write_text(
        COMPOSE.format(services="".join(SERVICE.format(n=n, lines=args.lines) for n in range(args.containers)))
    )
    compose = [*compose_binary(), "-p", project, "-f", str(folder / "compose.yaml")]
    hub.logs.max_lines = args.lines
    hub.logs.window_s = 10**9  # the lines carry a fixed date; keep them all
    try:
        subprocess.run([*compose, "up", "-d", "--quiet-pull"], check=True, capture_output=True, timeout=600)
        containers = client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
        expected = args.containers * args.lines
        rss0 = rss_mb()
        t0 = time.perf_counter()
        hub.follow(
            FollowTarget(c.id, c.labels["com.docker.compose.service"], c.name) for c in containers
        )  # the followers read every container's log through the Docker API, with timestamps
        while hub.logs.line_count() < expected and time.perf_counter() - t0 < 900:
            time.sleep(0.5)
        took = time.perf_counter() - t0
        print(f"followed {hub.logs.line_count():,} lines of {len(containers)} containers in {took:.0f} s "
              f"({hub.logs.line_count() / took:,.0f} lines/s); buffers add {rss_mb() - rss0:.0f} MB RSS")  # fmt: skip
        trace_id = "0000007b" * 4  # step i % 5000 == 123
        timings = []
        for step in range(0, 5000, 250):  # 20 different traces
            t1 = time.perf_counter()
            lines = hub.trace_logs(f"{step:08x}" * 4)
            timings.append(time.perf_counter() - t1)
        lines = hub.trace_logs(trace_id)
        print(f"trace → logs: {len(lines)} lines from {len({line['container'] for line in lines})} containers in "
              f"{statistics.median(timings) * 1000:.2f} ms median of 20 traces, {max(timings) * 1000:.2f} ms worst  goal ≤ 100 ms")  # fmt: skip
        grep = shutil.which("grep") or "grep"
        t1 = time.perf_counter()
        logs = subprocess.Popen([*compose, "logs", "--no-color"], stdout=subprocess.PIPE)
        found = subprocess.run([grep, "-c", trace_id], stdin=logs.stdout, capture_output=True, text=True)
        logs.wait()
        took = time.perf_counter() - t1
        print(f"`docker compose logs | grep {trace_id}`: {found.stdout.strip()} lines in {took * 1000:,.0f} ms")
    finally:
        hub.followers.stop()
        subprocess.run([*compose, "down", "-t", "0"], capture_output=True, timeout=300)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--containers", type=int, default=20)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dockhand-telbench-"))
    try:
        hub = bench_spans(args, folder)
        if not args.no_docker:
            bench_logs(args, hub)
        hub.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Soak: the real server under steady editor and telemetry load for minutes; prints its RSS curve (flat = no leak).

Run: `.venv/bin/python bench/soak.py` (2 minutes) or `--full` (10 minutes); `--stack examples` (default) brings
the parcel-shop example up from a private copy under a unique project name (built, `up --wait`, `down -v` at the
end), with its load generator (profile `load`) and its services exporting their spans to the soaked server's
receiver, so hovers, lenses, live diagnostics, health polls, log following and traces have real containers and
real traffic behind them; `--stack none` uses a generated compose file.

Load, every tick (`--rate` ticks a second): an edit of the compose file (didChange), a hover on the next
service, code lenses, `dockhand/services`, and an OTLP/HTTP protobuf export of `--spans` spans into the server's
own receiver; the /metrics endpoint is scraped at every sample. It prints figures and asserts nothing: RSS, threads
and open files per sample, hover p50/p95/max per window, and the RSS slope over the second half of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dockhand.telemetry.otlp import probe_owner
from lsp_client import LspError, LspProcess

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "parcel-shop" / "compose.yaml"
SPARK = "▁▂▃▄▅▆▇█"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SYNTHETIC_OPERATIONS = ("GET /parcels", "POST /quote", "GET /track/{id}")


def otlp_batch(services: list[str], spans: int) -> bytes:
    """One OTLP export: `spans` spans in traces of 5, spread over the services."""
    now = time.time_ns()
    request = ExportTraceServiceRequest()
    for service in services:
        resource = ResourceSpans(
            resource=Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))])
        )
        scope = ScopeSpans()
        for _ in range(max(1, spans // len(services))):
            scope.spans.append(
                Span(
                    trace_id=random.randbytes(16),
                    span_id=random.randbytes(8),
                    name=random.choice(SYNTHETIC_OPERATIONS),
                    kind=Span.SPAN_KIND_SERVER,
                    start_time_unix_nano=now - 5_000_000,
                    end_time_unix_nano=now,
                )
            )
        resource.scope_spans.append(scope)
        request.resource_spans.append(resource)
    return request.SerializeToString()


def service_positions(text: str) -> list[tuple[str, int, int]]:
    """(name, line, column) of each service key under `services:` (two-space indentation)."""
    found, inside = [], False
    for number, line in enumerate(text.splitlines()):
        if re.match(r"^services:\s*(#.*)?$", line):
            inside = True
        elif re.match(r"^\S", line):
            inside = False
        elif inside and (m := re.match(r"^  ([A-Za-z0-9_.-]+):", line)):
            found.append((m.group(1), number, 2))
    return found


def generated_compose(services: int = 12) -> str:
    lines = ["services:"]
    for i in range(services):
        lines += [f"  svc{i}:", "    image: dockhand/busybox:local", "    environment:", f"      DB_PASSWORD: s{i}"]
        if i:
            lines += ["    depends_on:", f"      - svc{i - 1}"]
    return "\n".join(lines) + "\n"


@dataclass
class Stack:
    """The examples stack under a unique project name (or nothing)."""

    compose_file: Path
    project: str = ""
    compose: list[str] = field(default_factory=list)

    def up(self, otlp_port: int) -> None:
        """Build and start it with its load generator, its services exporting spans to the soaked server."""
        from dockhand.runtime.compose_cli import find_compose

        self.project = f"dhsoak-{uuid.uuid4().hex[:8]}"
        self.compose = [*find_compose().argv(), "-p", self.project, "-f", str(self.compose_file), "--profile", "load"]
        env = {
            **os.environ,
            **{v: "0" for v in ("GATEWAY_PORT", "PARCELS_PORT", "TRACKING_PORT", "PRICING_PORT", "NOTIFIER_PORT")},
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://host.docker.internal:{otlp_port}",
        }
        started = time.monotonic()
        subprocess.run([*self.compose, "build", "--quiet"], check=True, env=env, timeout=900)
        subprocess.run([*self.compose, "up", "-d", "--wait", "--wait-timeout", "180"], check=True, env=env, timeout=300)
        print(f"stack {self.project} up in {time.monotonic() - started:.1f} s")

    def down(self) -> None:
        if self.project:
            subprocess.run(
                [*self.compose, "down", "-v", "--remove-orphans", "--timeout", "2"], check=False, timeout=300
            )


@dataclass
class Sample:
    t: float
    rss_mb: float
    threads: int
    fds: int
    ticks: int
    hover_ms: list[float]
    gauges: dict[str, float] = field(default_factory=dict)


WATCHED = re.compile(
    r"^(dockhand_store_items|dockhand_malloc_bytes|python_gc_collections_total|python_gc_objects_collected_total"
    r'|dockhand_lsp_seconds_(?:bucket|count)(?=\{[^}]*method="textDocument/hover"))(\{[^}]*\})? (\S+)$'
)
"""/metrics series kept per sample: what each buffer holds, malloc's view, and the cyclic GC's work."""


def watched_series(text: str) -> dict[str, float]:
    """The WATCHED series of one /metrics scrape, by name and labels."""
    found = {}
    for line in text.splitlines():
        if m := WATCHED.match(line):
            found[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return found


async def soak(args: argparse.Namespace) -> None:
    stacks: list[Stack] = []
    try:
        await soak_with(args, stacks)
    finally:  # a failed start (or Ctrl-C) must not leave the example stack running
        for stack in stacks:
            stack.down()


async def soak_with(args: argparse.Namespace, stacks: list[Stack]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="dh-soak-"))
    stack: Stack | None = None
    metrics_port, otlp_port = free_port(), free_port()
    if args.stack == "examples":
        # A private copy: the open file then belongs to this stack alone, not to other runs of the example.
        copy = workdir / "parcel-shop"
        shutil.copytree(EXAMPLE.parent, copy)
        stack = Stack(copy / "compose.yaml")
        stacks.append(stack)
        stack.up(otlp_port)
        compose_file = stack.compose_file
    else:
        compose_file = workdir / "compose.yaml"
        compose_file.write_text(generated_compose())
    env = {**os.environ, "DOCKHAND_TELEMETRY_DIR": str(workdir / "telemetry")}
    server = LspProcess([sys.executable, "-m", "dockhand"])
    os.environ.update(env)
    await server.start()
    process = psutil.Process(server._proc.pid)  # type: ignore[union-attr]
    uri = compose_file.resolve().as_uri()
    init: dict[str, Any] = {
        "processId": os.getpid(),
        "rootUri": compose_file.parent.resolve().as_uri(),
        "workspaceFolders": [{"uri": compose_file.parent.resolve().as_uri(), "name": "soak"}],
        "capabilities": {
            "textDocument": {"hover": {"contentFormat": ["markdown"]}},
            "workspace": {"codeLens": {"refreshSupport": True}},
        },
        "initializationOptions": {"trusted": True, "metricsPort": metrics_port, "otlpPort": otlp_port},
    }
    _, result = await server.request("initialize", init, wait_s=180)  # a loaded 2-core machine starts slowly
    caps = result["capabilities"]
    server.notify("initialized", {})
    text = compose_file.read_text()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "dockercompose", "version": 1, "text": text}},
    )
    # The receiver starts with the server's background start-up work, after the first diagnostics: wait for it
    # (an exporter retries; the soak's own posts would count as errors) before the clock starts.
    waited = time.monotonic()
    for _ in range(600):
        if await asyncio.to_thread(probe_owner, otlp_port) is not None:
            break
        await asyncio.sleep(0.2)
    print(f"OTLP receiver answering {time.monotonic() - waited:.1f} s after the document was opened")
    positions = service_positions(text) or [("", 0, 0)]
    names = [p[0] for p in positions if p[0]] or ["svc"]
    duration = args.minutes * 60
    print(
        f"soak: {args.minutes:g} min at {args.rate} ticks/s, {args.spans} spans/tick, stack={args.stack}, "
        f"hover={bool(caps.get('hoverProvider'))} lens={bool(caps.get('codeLensProvider'))}"
    )
    print(
        f"{'t (s)':>6} {'RSS MB':>8} {'threads':>7} {'fds':>5} {'ticks':>7} {'hover p50':>9} {'p95':>7} {'max ms':>7}"
    )
    samples: list[Sample] = []
    hover_ms: list[float] = []
    slow_hovers: list[tuple[float, float]] = []  # (t s, ms) of each hover over 10 ms: when, to match with the GC
    errors: dict[str, int] = {}
    started = time.monotonic()
    next_sample = started
    tick = 0
    version = 1
    async with httpx.AsyncClient(timeout=10) as http:
        while (now := time.monotonic()) - started < duration:
            if now >= next_sample:
                next_sample += args.sample_s
                with process.oneshot():
                    sample = Sample(
                        now - started,
                        process.memory_info().rss / 2**20,
                        process.num_threads(),
                        process.num_fds(),
                        tick,
                        hover_ms,
                    )
                samples.append(sample)
                hover_ms = []
                window = sorted(sample.hover_ms)
                p50 = statistics.median(window) if window else float("nan")
                p95 = window[int(0.95 * (len(window) - 1))] if window else float("nan")
                print(
                    f"{sample.t:6.0f} {sample.rss_mb:8.1f} {sample.threads:7d} {sample.fds:5d} {sample.ticks:7d} "
                    f"{p50:9.2f} {p95:7.2f} {max(window, default=float('nan')):7.2f}",
                    flush=True,
                )
                try:
                    sample.gauges = watched_series((await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text)
                except httpx.HTTPError as exc:
                    errors["metrics"] = errors.get("metrics", 0) + 1
                    print(f"  metrics scrape failed: {exc!r}")
            tick += 1
            version += 1
            edited = text + f"# soak edit {tick}\n"
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]},
            )
            _service, line, column = positions[tick % len(positions)]
            try:
                if caps.get("hoverProvider"):
                    sent = time.perf_counter()
                    arrived, _ = await server.request(
                        "textDocument/hover",
                        {"textDocument": {"uri": uri}, "position": {"line": line, "character": column + 1}},
                        wait_s=30,
                    )
                    hover_ms.append((arrived - sent) * 1000)
                    if hover_ms[-1] > 10:
                        slow_hovers.append((time.monotonic() - started, hover_ms[-1]))
                if caps.get("codeLensProvider"):
                    await server.request("textDocument/codeLens", {"textDocument": {"uri": uri}}, wait_s=30)
                await server.request("dockhand/services", {}, wait_s=30)
            except (LspError, TimeoutError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            if args.spans:
                try:
                    await http.post(
                        f"http://127.0.0.1:{otlp_port}/v1/traces",
                        content=otlp_batch(names, args.spans),
                        headers={"Content-Type": "application/x-protobuf"},
                    )
                except httpx.HTTPError as exc:
                    errors["otlp"] = errors.get("otlp", 0) + 1
                    print(f"  OTLP export failed at {time.monotonic() - started:.0f} s: {exc!r}", flush=True)
            server.drop_notifications()
            await asyncio.sleep(max(0.0, started + tick / args.rate - time.monotonic()))
    if stack is not None:  # what the load generator's traffic made the stack export to the server
        _, latency = await server.request("dockhand/latency", {"windowS": 3600}, wait_s=30)
        real = [r for r in latency.get("rows", []) if r["operation"] not in SYNTHETIC_OPERATIONS]
        print(
            f"the stack's own traffic: {sum(r['count'] for r in real)} spans in {len(real)} operations of "
            f"{len({r['service'] for r in real})} services ({', '.join(sorted({r['service'] for r in real}))})"
        )
    await server.stop()
    if stack is not None:
        stack.down()
        stacks.remove(stack)
    shutil.rmtree(workdir, ignore_errors=True)  # the telemetry store alone is ~90 MB after 10 minutes
    report(samples, errors, args, slow_hovers)


def report(
    samples: list[Sample], errors: dict[str, int], args: argparse.Namespace, slow_hovers: list[tuple[float, float]]
) -> None:
    if len(samples) < 2:
        print("too short to show a curve")
        return
    rss = [s.rss_mb for s in samples]
    low, high = min(rss), max(rss)
    curve = "".join(SPARK[int((r - low) / (high - low or 1) * (len(SPARK) - 1))] for r in rss)
    half = samples[len(samples) // 2 :]
    slope = (
        statistics.linear_regression([s.t / 60 for s in half], [s.rss_mb for s in half]).slope if len(half) > 1 else 0.0
    )
    all_hovers = sorted(h for s in samples for h in s.hover_ms)
    # Per-minute medians: a one-sample swing of a few MB (a cache refilled, a thread's malloc arena) moves the
    # regression over ~30 samples by tenths of a MB/min; the medians show whether the level itself moves.
    minutes: dict[int, list[float]] = {}
    for s in samples:
        minutes.setdefault(int(s.t // 60), []).append(s.rss_mb)
    medians = [statistics.median(v) for _, v in sorted(minutes.items())]
    threads = sorted({s.threads for s in samples[1:]})
    print(f"\nRSS curve ({low:.1f} … {high:.1f} MB): {curve}")
    print(
        f"RSS first {rss[0]:.1f} MB, after warm-up {rss[1]:.1f} MB, last {rss[-1]:.1f} MB, max {high:.1f} MB; "
        f"slope over the second half {slope:+.2f} MB/min"
    )
    print(f"RSS median per minute: {' '.join(f'{m:.1f}' for m in medians)} MB; threads after warm-up: {threads}")
    if samples[-1].t >= 1800:  # a long run: the level per 10 minutes, and the slope once the 15-minute windows are full
        tens: dict[int, list[float]] = {}
        for s in samples:
            tens.setdefault(int(s.t // 600), []).append(s.rss_mb)
        print(
            f"RSS median per 10 minutes: {' '.join(f'{statistics.median(v):.1f}' for _, v in sorted(tens.items()))} MB"
        )
        last = [s for s in samples if s.t >= samples[-1].t - 1800]
        late = statistics.linear_regression([s.t / 60 for s in last], [s.rss_mb for s in last]).slope
        print(f"slope over the last 30 minutes {late:+.3f} MB/min")
        first, final = next((s.gauges for s in last if s.gauges), {}), samples[-1].gauges
        print("over the last 30 minutes (first → last sample):")
        for name in sorted(final):
            if name.startswith("dockhand_lsp_seconds"):
                continue
            print(f"  {name}: {first.get(name, float('nan')):,.0f} → {final[name]:,.0f}")
    if all_hovers:
        print(
            f"hovers: {len(all_hovers)}, p50 {statistics.median(all_hovers):.2f} ms, "
            f"p95 {all_hovers[int(0.95 * (len(all_hovers) - 1))]:.2f} ms, p99 {all_hovers[int(0.99 * (len(all_hovers) - 1))]:.2f} ms"
        )
    handled = {k: v for k, v in samples[-1].gauges.items() if k.startswith("dockhand_lsp_seconds")}
    if handled:  # the server's own time per hover: slow here = slow handler; slow only above = queued or GIL-bound
        total = next((v for k, v in handled.items() if "_count" in k), 0.0) or 1.0
        over = {
            le: total - v
            for k, v in handled.items()
            if (le := re.search(r'le="([^"]+)"', k)) and (le := le.group(1)) in ("0.005", "0.01", "0.025")
        }
        print(
            "hover handler (server side): "
            + ", ".join(f"over {float(le) * 1000:g} ms {n / total:.2%}" for le, n in over.items())
        )
    if slow_hovers:
        worst = sorted(slow_hovers, key=lambda h: -h[1])[:10]
        print(
            f"hovers over 10 ms: {len(slow_hovers)}; worst at "
            + ", ".join(f"{t:.0f} s ({ms:.1f} ms)" for t, ms in sorted(worst))
        )
    print(f"ticks {samples[-1].ticks} ({samples[-1].ticks / max(samples[-1].t, 1):.1f}/s), errors {errors or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--full", action="store_true", help="10 minutes")
    parser.add_argument("--rate", type=float, default=10.0, help="ticks a second")
    parser.add_argument("--spans", type=int, default=50, help="spans exported per tick (0 = none)")
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--stack", choices=("examples", "none"), default="examples")
    args = parser.parse_args()
    if args.full:
        args.minutes = 10.0
    asyncio.run(soak(args))


if __name__ == "__main__":
    main()

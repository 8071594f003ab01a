"""Live stack figures: Docker event → publishDiagnostics latency, and the server's idle CPU/RSS beside a running stack.

Run: `.venv/bin/python bench/live_bench.py [--events 60] [--idle-s 30] [--stack examples|busybox]`.

1. Latency: a throw-away project of five busybox services on the real engine; the benchmark kills and starts them in
   turn (`docker kill` → `die`, `docker start` → `start`) and measures, per event, from the engine's own timestamp of
   the event (`timeNano`, read from the engine's event stream) to the arrival of the first textDocument/
   publishDiagnostics that reflects it (an "exited with code 137" diagnostic on that service, or its disappearance).
2. Idle: the parcel-shop example (built and `up --wait` under a unique project, from a copy of the folder) with
   its compose file open in the server, Actuator pollers at the default cadence; CPU time and RSS of the server
   process over `--idle-s` seconds with nothing else happening.
It prints figures and asserts nothing. Goals (issue 5): p99 ≤ 250 ms, ≤ 1 % of a core and ≤ 100 MB RSS idle.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

import docker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from dockhand.runtime.compose_cli import find_compose, run_compose  # noqa: E402
from lsp_client import LspProcess  # noqa: E402

SERVICES = ["alpha", "bravo", "charlie", "delta", "echo"]
BUSYBOX = "services:\n" + "".join(
    f"  {name}:\n    image: dockhand/busybox:local\n"
    '    command: ["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]\n'
    for name in SERVICES
)


class EventClock:
    """The engine's timestamps of container events of one project, from its own event stream."""

    def __init__(self, client: docker.DockerClient, project: str) -> None:
        self.times: dict[tuple[str, str], list[int]] = {}
        self._lock = threading.Lock()
        self._stream = client.api.events(
            decode=True, filters={"type": ["container"], "label": [f"com.docker.compose.project={project}"]}
        )
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for event in self._stream:
                service = event["Actor"]["Attributes"].get("com.docker.compose.service", "")
                with self._lock:
                    self.times.setdefault((service, event["Action"]), []).append(int(event["timeNano"]))
        except Exception:  # closed at the end
            pass

    def latest(self, service: str, action: str) -> int | None:
        with self._lock:
            found = self.times.get((service, action))
            return found[-1] if found else None

    def close(self) -> None:
        self._stream.close()


def initialize_params(root: Path, options: dict[str, Any]) -> dict[str, Any]:
    return {
        "processId": None,
        "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": {"textDocument": {"publishDiagnostics": {}}, "window": {"workDoneProgress": False}},
        "initializationOptions": {"trusted": True, **options},
    }


async def start_server(root: Path, options: dict[str, Any]) -> LspProcess:
    server = LspProcess([sys.executable, "-m", "dockhand"])
    await server.start()
    await server.request("initialize", initialize_params(root, options))
    server.notify("initialized", {})
    return server


def open_file(server: LspProcess, path: Path) -> str:
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "dockercompose", "version": 1, "text": path.read_text()}},
    )
    return uri


def says(params: Any, uri: str, text: str) -> bool:
    return params["uri"] == uri and any(text in d["message"] for d in params["diagnostics"])


async def latency(events: int, verbose: bool = False) -> list[float]:
    client = docker.from_env()
    cli = find_compose()
    folder = Path(tempfile.mkdtemp(prefix="dh-live-bench-"))
    project = f"dhbench-{uuid.uuid4().hex[:8]}"
    compose_file = folder / "compose.yaml"
    compose_file.write_text(BUSYBOX)
    base = ["-p", project, "-f", str(compose_file)]
    run_compose(cli, [*base, "up", "-d", "--wait"], cwd=folder)
    clock = EventClock(client, project)
    server = await start_server(folder, {})
    offset = time.time() - time.perf_counter()
    samples: list[float] = []
    try:
        uri = open_file(server, compose_file)
        await asyncio.sleep(2)  # initial listing, project resolution and first publish
        containers = {
            s: client.containers.list(
                filters={"label": [f"com.docker.compose.project={project}", f"com.docker.compose.service={s}"]}
            )[0]
            for s in SERVICES
        }
        for step in range(events):
            service = SERVICES[(step // 2) % len(SERVICES)]
            container = containers[service]
            server.drop_notifications()
            if step % 2 == 0:
                await asyncio.to_thread(container.kill)
                arrived = await server.wait_notification(
                    "textDocument/publishDiagnostics", lambda p, s=service: says(p, uri, f"`{s}` exited with code"), 20
                )
                action = "die"
            else:
                await asyncio.to_thread(container.start)
                arrived = await server.wait_notification(
                    "textDocument/publishDiagnostics", lambda p, s=service: not says(p, uri, f"`{s}` exited"), 20
                )
                action = "start"
            await asyncio.sleep(0.05)  # let the bench's own event reader catch up
            stamp = clock.latest(service, action)
            if stamp is not None:
                samples.append((arrived + offset) - stamp / 1e9)
                if verbose:
                    print(f"  {action:5} {service:8} {samples[-1] * 1000:7.1f} ms")
    finally:
        await server.stop()
        clock.close()
        run_compose(cli, [*base, "down", "-t", "1"], cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)
    return samples


async def idle(seconds: float, stack: str) -> tuple[float, float, int, list[float]]:
    """(CPU % of one core, RSS MB, containers watched, hover latencies in s) of a server beside a running stack."""
    client = docker.from_env()
    cli = find_compose()
    folder = Path(tempfile.mkdtemp(prefix="dh-live-idle-"))
    if stack == "examples":
        from tests.docker.conftest import running_examples_stack

        shutil.copytree(ROOT / "examples" / "parcel-shop", folder / "parcel-shop")
        context = running_examples_stack(client, cli, folder / "parcel-shop")
        running = context.__enter__()
        compose_file, project = running.compose_file, running.project
    else:
        compose_file, project = folder / "compose.yaml", f"dhidle-{uuid.uuid4().hex[:8]}"
        compose_file.write_text(BUSYBOX)
        run_compose(cli, ["-p", project, "-f", str(compose_file), "up", "-d", "--wait"], cwd=folder)
    server = await start_server(compose_file.parent, {})
    try:
        open_file(server, compose_file)
        await asyncio.sleep(10)  # settle: listing, resolution, Actuator discovery
        assert server._proc is not None
        process = psutil.Process(server._proc.pid)
        before = process.cpu_times()
        started = time.monotonic()
        await asyncio.sleep(seconds)
        after = process.cpu_times()
        elapsed = time.monotonic() - started
        cpu = ((after.user - before.user) + (after.system - before.system)) / elapsed * 100
        rss = process.memory_info().rss / 1e6
        watched = len(client.containers.list(filters={"label": f"com.docker.compose.project={project}"}))
        hovers = await hover_latencies(server, compose_file)
        return cpu, rss, watched, hovers
    finally:
        await server.stop()
        if stack == "examples":
            context.__exit__(None, None, None)
        else:
            run_compose(cli, ["-p", project, "-f", str(compose_file), "down", "-t", "1"], cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)


def service_lines(compose_file: Path) -> list[int]:
    """Lines of the service keys (`  name:`, optionally followed by a comment)."""
    return [
        i
        for i, line in enumerate(compose_file.read_text().splitlines())
        if (line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":"))
        or (line.startswith("  ") and ":  #" in line and not line.startswith("   "))
    ]


async def hover_latencies(server: LspProcess, compose_file: Path, count: int = 200) -> list[float]:
    """Round trips of hovers on the service names (static card + live card), after the idle window."""
    lines = service_lines(compose_file)
    uri = compose_file.as_uri()
    took: list[float] = []
    for i in range(count):
        line = lines[i % len(lines)]
        sent = time.perf_counter()
        arrived, _ = await server.request(
            "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": 4}}
        )
        took.append(arrived - sent)
    return took


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--stack", choices=("examples", "busybox"), default="examples")
    args = parser.parse_args()

    samples = await latency(args.events)
    ms = [s * 1000 for s in samples]
    print(f"event → publishDiagnostics over {len(ms)} events (kill/start of 5 busybox services):")
    print(
        f"  p50 {statistics.median(ms):.1f} ms   p90 {percentile(ms, 0.9):.1f} ms   p99 {percentile(ms, 0.99):.1f} ms"
        f"   max {max(ms):.1f} ms   (goal: p99 ≤ 250 ms)"
    )
    cpu, rss, watched, hovers = await idle(args.idle_s, args.stack)
    print(f"idle beside the {args.stack} stack ({watched} containers) for {args.idle_s:.0f} s:")
    print(f"  CPU {cpu:.2f} % of one core   RSS {rss:.1f} MB   (goals: ≤ 1 %, ≤ 100 MB)")
    hms = [h * 1000 for h in hovers]
    print(
        f"hover round trip over {len(hms)} service hovers (static + live card): p50 {statistics.median(hms):.2f} ms"
        f"   p99 {percentile(hms, 0.99):.2f} ms   (goal: ≤ 5 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())

"""Resource sampling cost: the server's CPU beside 50 tiny running containers, with stats off and at several
cadences (DOCKHAND_STATS_INTERVAL_S), and — for comparison — what one `docker stats`-style stream per container
costs a Python process (a thread and a JSON document per container per second).

Usage: .venv/bin/python bench/stats_bench.py [--services 50] [--window 60] [--intervals 0,10,5,2] [--no-stream]
Prints figures; asserts nothing (the goal is ≤ 2 % of one core for 50 services).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
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
# Whether `lsp_client` sorts as first party depends on the checkout's layout: the order is left as it is.
from lsp_client import LspProcess  # noqa: E402, I001
from dockhand.runtime.compose_cli import find_compose, run_compose  # noqa: E402


def stack(services: int) -> str:
    body = "".join(
        f"  s{i:02d}:\n    image: dockhand/busybox:local\n    command: [sleep, '3600']\n    mem_limit: 32m\n"
        for i in range(services)
    )
    return f"services:\n{body}"


def dockerd() -> psutil.Process | None:
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "dockerd":
            return process
    return None


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def measure_server(folder: Path, compose_file: Path, text: str, interval: float, window: float) -> dict[str, Any]:
    """CPU % of one core used by the server (and by dockerd meanwhile) over `window` seconds, once settled."""
    env = {**os.environ, "DOCKHAND_STATS_INTERVAL_S": str(interval), "DOCKHAND_OTLP_PORT": "0"}
    server = LspProcess([sys.executable, "-m", "dockhand"], env=env)
    await server.start()
    try:
        params = {
            "processId": None,
            "rootUri": folder.as_uri(),
            "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {}}},
            "initializationOptions": {"trusted": True},
        }
        await server.request("initialize", params)
        server.notify("initialized", {})
        uri = compose_file.as_uri()
        doc = {"uri": uri, "languageId": "dockercompose", "version": 1, "text": text}
        server.notify("textDocument/didOpen", {"textDocument": doc})
        await asyncio.sleep(15 + 2 * interval)  # listing, project resolution, the first two rounds of samples
        assert server._proc is not None
        process, engine = psutil.Process(server._proc.pid), dockerd()
        before, engine_before = cpu_seconds(process), cpu_seconds(engine) if engine else 0.0
        started = time.monotonic()
        await asyncio.sleep(window)
        elapsed = time.monotonic() - started
        cpu = (cpu_seconds(process) - before) / elapsed * 100
        engine_cpu = (cpu_seconds(engine) - engine_before) / elapsed * 100 if engine else float("nan")
        _, answer = await server.request("dockhand/services", {})
        sampled = sum(1 for p in answer["projects"] for s in p["services"] if s.get("resources"))
        return {"cpu": cpu, "dockerd": engine_cpu, "sampled": sampled, "rss": process.memory_info().rss / 1e6}
    finally:
        await server.stop()


def measure_streams(container_ids: list[str], window: float) -> tuple[float, float]:
    """(CPU % of one core, samples/s) this process spends reading one decoded stats stream per container."""
    client = docker.from_env()
    stop = threading.Event()
    received = [0]

    def follow(container_id: str) -> None:
        with contextlib.suppress(Exception):
            for _ in client.api.stats(container_id, decode=True, stream=True):
                received[0] += 1
                if stop.is_set():
                    return

    threads = [threading.Thread(target=follow, args=(cid,), daemon=True) for cid in container_ids]
    for t in threads:
        t.start()
    time.sleep(5)  # every stream open and flowing
    me = psutil.Process()
    before, started, count = cpu_seconds(me), time.monotonic(), received[0]
    time.sleep(window)
    elapsed = time.monotonic() - started
    cpu, rate = (cpu_seconds(me) - before) / elapsed * 100, (received[0] - count) / elapsed
    stop.set()
    client.close()
    return cpu, rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--intervals", default="0,10,5,2")
    parser.add_argument("--no-stream", action="store_true", help="skip the one-stream-per-container comparison")
    args = parser.parse_args()
    cli = find_compose()
    folder = Path(tempfile.mkdtemp(prefix="dh-stats-bench-"))
    compose_file = folder / "compose.yaml"
    compose_file.write_text(stack(args.services))
    project = f"dhstats-{uuid.uuid4().hex[:8]}"
    base = ["-p", project, "-f", str(compose_file)]
    print(f"{args.services} busybox containers, window {args.window:.0f} s, load {os.getloadavg()[0]:.1f}")
    try:
        run_compose(cli, [*base, "up", "-d"], cwd=folder, timeout=600)
        for text in args.intervals.split(","):
            interval = float(text)
            found = await measure_server(folder, compose_file, compose_file.read_text(), interval, args.window)
            label = "stats off" if interval == 0 else f"every {interval:g} s"
            print(
                f"  server, {label:12} CPU {found['cpu']:5.2f} % of one core · dockerd {found['dockerd']:5.2f} % · "
                f"RSS {found['rss']:.0f} MB · services with figures {found['sampled']}/{args.services}"
            )
        if not args.no_stream:
            ids = [
                c.id
                for c in docker.from_env().containers.list(filters={"label": f"com.docker.compose.project={project}"})
            ]
            cpu, rate = measure_streams(ids, args.window)
            print(
                f"  one stats stream per container (Python, decoded): CPU {cpu:5.2f} % of one core, {rate:.1f} samples/s"
            )
        print(f"load at the end {os.getloadavg()[0]:.1f}")
    finally:
        run_compose(cli, [*base, "down", "-t", "0"], cwd=folder, timeout=600)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

"""Remote engine and Swarm figures on the real rig (scripts/swarm-rig: two dockerd in network namespaces, sshd).

Run: `.venv/bin/python bench/remote_bench.py [--events 40] [--failures 15] [--idle-s 30]` (brings the rig up; add
`--keep-rig` to leave it running, `--swarm-only` to skip 1-2, `--profile FILE` for py-spy stacks of the idle window).

1. ssh: a server pointed at ssh://root@10.77.0.2 (the manager's engine through sshd and `docker system
   dial-stdio`) beside five busybox services on that engine; the bench kills and starts them in turn and measures,
   per event, from the engine's own timestamp (`timeNano`, read over the manager's local socket) to the first
   publishDiagnostics that reflects it (after WARM_UP events that open the ssh connections).
2. Link cut: the manager's veth is set down; once the hover says the state is stale, 200 hovers on the services are
   timed (they answer from the last snapshot), then the link comes back.
3. Swarm: the parcel-shop example as a stack (tests/swarm/example_stack.py: five services, two replicas each, one
   per node, ports in host mode), on a server pointed at the manager; the bench kills the gateway's task on the
   worker through the worker engine and measures from that engine's `die` timestamp to the publishDiagnostics
   carrying the `swarm-task-failed` diagnostic; then waits for Swarm to replace the task.
4. Idle: that server beside the 2-node stack for `--idle-s` (its tasks' Actuators polled): CPU of one core, by
   thread, and the gateway tasks' Actuator answers in the hover afterwards (proof that they were polled).
It prints figures and asserts nothing. Goals (issue 14): p99 ≤ 300 ms, ≤ 5 ms, ≤ 1 s, ≤ 1 % of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

import docker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from live_bench import BUSYBOX, SERVICES, EventClock, hover_latencies, initialize_params, open_file, percentile, says  # noqa: E402

from dockhand.runtime.compose_cli import find_compose, run_compose  # noqa: E402
from lsp_client import LspProcess  # noqa: E402
from tests.swarm.example_stack import swarm_variant  # noqa: E402

RIG = ROOT / "scripts" / "swarm-rig"
WARM_UP = 4
"""Events before the measured ones (reported on their own line): the first ones open the SDK's pooled connections,
each one ssh process (the bridge keeps one started ahead, runtime/ssh_bridge)."""


def rig_env() -> dict[str, str]:
    out = subprocess.run([str(RIG), "env"], capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


async def start_server(root: Path, docker_host: str) -> LspProcess:
    server = LspProcess([sys.executable, "-m", "dockhand"], env={**os.environ, "DOCKER_HOST": docker_host})
    await server.start()
    await server.request("initialize", initialize_params(root, {}))
    server.notify("initialized", {})
    return server


def link(state: str) -> None:
    """Set the manager's veth on the host bridge down (the link is cut) or up."""
    subprocess.run(["ip", "link", "set", "dhs-m1", state], check=True)


def stale(params: Any) -> bool:
    contents = (params or {}).get("contents") or {}
    return "stale: state as of" in (contents.get("value", "") if isinstance(contents, dict) else str(contents))


async def ssh_figures(rig: dict[str, str], events: int) -> tuple[list[float], list[float], list[float]]:
    """(event → diagnostics latencies over ssh, the same for the warm-up events, hover latencies while the link is
    cut), in seconds."""
    manager = docker.DockerClient(base_url=rig["DOCKHAND_RIG_MANAGER"], timeout=30)
    cli = find_compose()
    folder = Path(tempfile.mkdtemp(prefix="dh-remote-bench-"))
    project = f"dhrb-{uuid.uuid4().hex[:8]}"
    compose_file = folder / "compose.yaml"
    compose_file.write_text(BUSYBOX)
    base = ["-p", project, "-f", str(compose_file)]
    on_manager = {**os.environ, "DOCKER_HOST": rig["DOCKHAND_RIG_MANAGER"]}
    run_compose(cli, [*base, "up", "-d", "--wait"], cwd=folder, env=on_manager)
    clock = EventClock(manager, project)
    server = await start_server(folder, rig["DOCKHAND_RIG_SSH"])
    offset = time.time() - time.perf_counter()
    samples: list[float] = []
    warm: list[float] = []
    hovers: list[float] = []
    try:
        uri = open_file(server, compose_file)
        await asyncio.sleep(4)  # initial listing over ssh, project resolution, first publish
        label = f"com.docker.compose.project={project}"
        containers = {
            s: manager.containers.list(filters={"label": [label, f"com.docker.compose.service={s}"]})[0]
            for s in SERVICES
        }
        for step in range(-WARM_UP, events):  # the first events open the pooled ssh connections: not counted
            service = SERVICES[((step + WARM_UP) // 2) % len(SERVICES)]
            server.drop_notifications()
            if step % 2 == 0:
                await asyncio.to_thread(containers[service].kill)
                match, action = (lambda p, s=service: says(p, uri, f"`{s}` exited with code")), "die"
            else:
                await asyncio.to_thread(containers[service].start)
                match, action = (lambda p, s=service: not says(p, uri, f"`{s}` exited")), "start"
            arrived = await server.wait_notification("textDocument/publishDiagnostics", match, 20)
            await asyncio.sleep(0.05)
            stamp = clock.latest(service, action)
            if stamp is not None:
                (samples if step >= 0 else warm).append((arrived + offset) - stamp / 1e9)

        await asyncio.to_thread(link, "down")
        try:
            position = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}}
            for _ in range(150):  # the watcher notices the cut within its ping deadline
                if stale((await server.request("textDocument/hover", position))[1]):
                    break
                await asyncio.sleep(0.2)
            hovers = await hover_latencies(server, compose_file)
        finally:
            await asyncio.to_thread(link, "up")
    finally:
        await server.stop()
        clock.close()
        run_compose(cli, [*base, "down", "-t", "1"], cwd=folder, env=on_manager)
        shutil.rmtree(folder, ignore_errors=True)
        manager.close()
    return samples, warm, hovers


def py_spy() -> str:
    """py-spy's path (a developer tool, not a dependency: `pip install py-spy`), or "" when it is not installed."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return spy if Path(spy).exists() else ""


def start_profile(pid: int, seconds: float, out: str) -> subprocess.Popen[bytes]:
    """py-spy sampling the server for the idle window: collapsed stacks per thread, only samples where a thread is
    on the CPU, without pausing the process (its default pause costs every thread ~0.2 % of a core)."""
    argv = [
        py_spy() or "py-spy",
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "100",
        "--threads",
        "--nonblocking",
    ]
    return subprocess.Popen([*argv, "--format", "raw", "--output", out], stdout=subprocess.DEVNULL)


def print_thread_cpu(process: psutil.Process, before: dict[int, float], elapsed: float) -> None:
    """Each thread's share of a core over the idle window, named by py-spy's dump where py-spy is at hand."""
    names: dict[int, str] = {}
    if spy := py_spy():
        dump = subprocess.run([spy, "dump", "--pid", str(process.pid)], capture_output=True, text=True, check=False)
        for line in dump.stdout.splitlines():  # Thread 1234 (idle): "name"
            parts = line.split()
            if len(parts) >= 4 and parts[0] == "Thread" and parts[1].isdigit():
                names[int(parts[1])] = line.split('"')[1] if '"' in line else parts[1]
    shares = sorted(
        ((t.user_time + t.system_time - before.get(t.id, 0.0)) / elapsed * 100, t.id) for t in process.threads()
    )
    busy = [f"{names.get(tid, tid)} {share:.2f} %" for share, tid in reversed(shares) if share >= 0.01]
    print("  idle CPU by thread: " + (", ".join(busy) or "none measurable"))


async def swarm_figures(
    rig: dict[str, str], failures: int, idle_s: float, profile: str = ""
) -> tuple[list[float], float, float]:
    """(worker task failure → diagnostic latencies in s, idle CPU % of a core, RSS MB) with a 2-node stack."""
    manager = docker.DockerClient(base_url=rig["DOCKHAND_RIG_MANAGER"], timeout=30)
    worker = docker.DockerClient(base_url=rig["DOCKHAND_RIG_WORKER"], timeout=30)
    stack = f"dhrbs{uuid.uuid4().hex[:6]}"
    folder = Path(tempfile.mkdtemp(prefix="dh-remote-bench-")) / stack
    folder.mkdir()
    compose_file = folder / "compose.yaml"
    compose_file.write_text(swarm_variant(18280)[0])
    on_manager = {**os.environ, "DOCKER_HOST": rig["DOCKHAND_RIG_MANAGER"]}
    docker_cli = shutil.which("docker") or "docker"
    await asyncio.to_thread(
        subprocess.run,
        [docker_cli, "stack", "deploy", "--detach=true", "-c", str(compose_file), stack],
        env=on_manager,
        check=True,
        capture_output=True,
    )
    server = await start_server(folder, rig["DOCKHAND_RIG_MANAGER"])
    offset = time.time() - time.perf_counter()
    samples: list[float] = []
    cpu = rss = 0.0
    try:
        uri = open_file(server, compose_file)
        label = f"com.docker.swarm.service.name={stack}_gateway"
        for _ in range(240):  # every task running on both nodes
            if len(manager.containers.list(filters={"label": label})) == 1 and worker.containers.list(
                filters={"label": label}
            ):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)

        def failed(params: Any) -> bool:
            return params["uri"] == uri and any(d.get("code") == "swarm-task-failed" for d in params["diagnostics"])

        for _ in range(failures):
            (victim,) = worker.containers.list(filters={"label": label})
            server.drop_notifications()
            since = int(time.time()) - 1
            await asyncio.to_thread(victim.kill)
            arrived = await server.wait_notification("textDocument/publishDiagnostics", failed, 20)
            died = next(
                worker.events(
                    since=since,
                    until=int(time.time()) + 1,
                    decode=True,
                    filters={"container": victim.id, "event": "die"},
                )
            )
            samples.append((arrived + offset) - int(died["timeNano"]) / 1e9)
            await server.wait_notification("textDocument/publishDiagnostics", lambda p: not failed(p), 60)
            for _ in range(120):  # the replacement is running on the worker again
                if worker.containers.list(filters={"label": label}):
                    break
                await asyncio.sleep(0.25)

        await asyncio.sleep(5)
        assert server._proc is not None
        process = psutil.Process(server._proc.pid)
        before, started = process.cpu_times(), time.monotonic()
        threads_before = {t.id: t.user_time + t.system_time for t in process.threads()}
        profiler = start_profile(process.pid, idle_s, profile) if profile else None
        await asyncio.sleep(idle_s)
        after = process.cpu_times()
        elapsed = time.monotonic() - started
        cpu = ((after.user - before.user) + (after.system - before.system)) / elapsed * 100
        rss = process.memory_info().rss / 1e6
        print_thread_cpu(process, threads_before, elapsed)
        # The idle figure counts only if the tasks' Actuators were really polled meanwhile: say what the hover shows.
        gateway = next(n for n, line in enumerate(compose_file.read_text().splitlines()) if line == "  gateway:")
        _, hover = await server.request(
            "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": gateway, "character": 4}}
        )
        text = str((hover or {}).get("contents", {}).get("value", ""))
        answers = [line.strip() for line in text.splitlines() if "Actuator" in line and " on " in line]
        print(f"  gateway's tasks in the hover after the idle window: {answers or text[-400:]}")
        if profiler is not None:
            await asyncio.to_thread(profiler.wait, 60)
    finally:
        await server.stop()
        await asyncio.to_thread(
            subprocess.run, [docker_cli, "stack", "rm", stack], env=on_manager, capture_output=True, check=False
        )
        shutil.rmtree(folder.parent, ignore_errors=True)
        manager.close()
        worker.close()
    return samples, cpu, rss


def report(title: str, seconds: list[float], goal_ms: float) -> None:
    ms = [s * 1000 for s in seconds]
    if not ms:
        print(f"{title}: no samples")
        return
    print(
        f"{title} ({len(ms)} samples): p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms (goal p99 ≤ {goal_ms:g} ms)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--failures", type=int, default=15)
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--keep-rig", action="store_true")
    parser.add_argument("--swarm-only", action="store_true", help="skip the ssh figures")
    parser.add_argument("--profile", default="", help="py-spy collapsed stacks of the idle window to this file")
    args = parser.parse_args()
    await asyncio.to_thread(subprocess.run, [str(RIG), "up"], check=True)
    try:
        rig = rig_env()
        if not args.swarm_only:
            events, warm, hovers = await ssh_figures(rig, args.events)
            warmed = ", ".join(f"{s * 1000:.0f}" for s in warm)
            print(f"ssh context: the {len(warm)} warm-up events took {warmed} ms")
            report("ssh context: engine event → publishDiagnostics", events, 300)
            report("ssh context: hover while the link is cut", hovers, 5)
        failures, cpu, rss = await swarm_figures(rig, args.failures, args.idle_s, args.profile)
        report("swarm: task killed on the worker → diagnostic", failures, 1000)
        print(
            f"swarm: idle beside the example as a 2-node stack (5 services x 2): {cpu:.2f} % of a core, RSS {rss:.0f} MB "
            f"over {args.idle_s:g} s (goal ≤ 1 %)"
        )
    finally:
        if not args.keep_rig:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(subprocess.run, [str(RIG), "down"], check=False)


if __name__ == "__main__":
    asyncio.run(main())

"""Event storm: a replayed Docker engine pours ≥ 1000 container events a second into the real server's engine
watcher and state store; prints per-second figures to show whether a backlog grows.

Run: `.venv/bin/python bench/event_storm.py [--rates 500,1000,2000] [--seconds 8] [--containers 50]`.

The engine is replayed, not real: no real engine can die/start containers a thousand times a second on two cores.
One container is created (not started) on the real engine and its `inspect` answer recorded; a local HTTP server
on a unix socket then speaks the slice of the Engine API the server uses (/version, /containers/json,
/containers/{id}/json, /containers/{id}/logs, a chunked /events stream) for `--containers` clones of that
recording, flipping each between running and exited as it emits `die`/`start` events stamped with the current
`timeNano`. The server (real, over stdio, DOCKER_HOST pointing at the socket, the project's compose file open)
must inspect each event's container, update its store and push diagnostics and lens refreshes to the client.

Per second it prints: events emitted (a blocked write means the server is not reading: backlog in the socket),
events handled (dockhand_docker_events_total from the server's /metrics), the inspect calls the watcher made (it
coalesces a batch per container, so fewer than events), the backlog (emitted - handled, and the server's own
dockhand_docker_event_backlog gauge), the mean Docker-event →
publish lag from the server's own /metrics (dockhand_docker_event_lag_seconds), diagnostics pushes and lens
refreshes received. After the storm it waits for the refreshes to stop and prints how long that took.
It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import socket
import socketserver
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from prometheus_client.parser import text_string_to_metric_families

import docker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_client import LspProcess

PROJECT_LABEL = "com.docker.compose.project"
IMAGE = "dockhand/busybox:local"


def record_inspect(project: str, workdir: Path) -> dict[str, Any]:
    """The inspect answer of a real compose-labelled container (created, never started, then removed)."""
    client = docker.from_env()
    labels = {
        PROJECT_LABEL: project,
        "com.docker.compose.service": "svc000",
        "com.docker.compose.container-number": "1",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.project.working_dir": str(workdir),
        "com.docker.compose.project.config_files": str(workdir / "compose.yaml"),
    }
    container = client.containers.create(IMAGE, ["sleep", "3600"], labels=labels, name=f"{project}-recording")
    try:
        return dict(client.api.inspect_container(container.id))
    finally:
        container.remove(force=True)
        client.close()


class ReplayEngine:
    """The recorded containers and the counters of what the server asked for."""

    def __init__(self, recording: dict[str, Any], project: str, count: int) -> None:
        self.lock = threading.Lock()
        self.containers: dict[str, dict[str, Any]] = {}
        for i in range(count):
            attrs = copy.deepcopy(recording)
            attrs["Id"] = uuid.uuid4().hex + uuid.uuid4().hex
            attrs["Name"] = f"/{project}-svc{i:03d}-1"
            attrs["Config"]["Labels"]["com.docker.compose.service"] = f"svc{i:03d}"
            self._set_state(attrs, running=True, at=time.time())
            self.containers[attrs["Id"]] = attrs
        self.answers = {cid: json.dumps(attrs).encode() for cid, attrs in self.containers.items()}
        self.inspects = 0
        self.emitted = 0
        self.unknown: dict[str, int] = {}
        self.events_open = threading.Event()

    @staticmethod
    def _set_state(attrs: dict[str, Any], running: bool, at: float) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1e9):09d}Z"
        state = attrs["State"]
        state.update(Running=running, Status="running" if running else "exited", ExitCode=0 if running else 1)
        state["StartedAt" if running else "FinishedAt"] = stamp

    def flip(self, container_id: str) -> str:
        """Toggle a container and return the event that reports it."""
        with self.lock:
            attrs = self.containers[container_id]
            running = not attrs["State"]["Running"]
            self._set_state(attrs, running, time.time())
            self.answers[container_id] = json.dumps(attrs).encode()  # serialized once, served many times
            return "start" if running else "die"


def serve(
    engine: ReplayEngine, path: str, stop: threading.Event, queue: list[bytes], wake: threading.Condition
) -> socketserver.BaseServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def address_string(self) -> str:
            return "replay"

        def _json(self, body: Any, status: int = 200) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_HEAD(self) -> None:
            self._json({})

        def do_GET(self) -> None:
            route = urlparse(self.path).path
            parts = [p for p in route.split("/") if p and not p.startswith("v1.")]
            if parts == ["_ping"]:
                self._json("OK")
            elif parts == ["version"]:
                self._json(
                    {
                        "ApiVersion": "1.41",
                        "MinAPIVersion": "1.12",
                        "Version": "20.10.24-replay",
                        "Os": "linux",
                        "Arch": "amd64",
                    }
                )
            elif parts == ["info"]:
                self._json({"ServerVersion": "20.10.24-replay", "Containers": len(engine.containers)})
            elif parts == ["containers", "json"]:
                with engine.lock:
                    listing = [
                        {
                            "Id": cid,
                            "Names": [a["Name"]],
                            "Labels": a["Config"]["Labels"],
                            "State": a["State"]["Status"],
                        }
                        for cid, a in engine.containers.items()
                    ]
                self._json(listing)
            elif len(parts) == 3 and parts[0] == "containers" and parts[2] == "json":
                with engine.lock:
                    answer = engine.answers.get(parts[1])
                    engine.inspects += 1
                self._json(answer) if answer else self._json({"message": "No such container"}, 404)
            elif len(parts) == 3 and parts[0] == "containers" and parts[2] == "logs":
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.docker.raw-stream")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif parts == ["events"]:
                self._events()
            else:
                engine.unknown[route] = engine.unknown.get(route, 0) + 1
                self._json({"message": f"replay engine: {route} not recorded"}, 404)

        def do_POST(self) -> None:
            route = urlparse(self.path).path
            engine.unknown["POST " + route] = engine.unknown.get("POST " + route, 0) + 1
            self._json({"message": "replay engine is read-only"}, 404)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            engine.events_open.set()
            while not stop.is_set():
                with wake:
                    while not queue and not stop.is_set():
                        wake.wait(0.2)
                    batch, queue[:] = list(queue), []
                for data in batch:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    engine.emitted += data.count(b"\n")
                self.wfile.flush()

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    server = Server(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="replay-engine").start()
    return server


class CountingLsp(LspProcess):
    """Counts the server → client requests (workspace/codeLens/refresh) it answers."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.requests: dict[str, int] = {}
        self.last_refresh = 0.0

    def _answer(self, request: dict[str, Any]) -> Any:
        self.requests[request["method"]] = self.requests.get(request["method"], 0) + 1
        if request["method"] == "workspace/codeLens/refresh":
            self.last_refresh = time.monotonic()
        return super()._answer(request)


def lag_totals(text: str) -> tuple[float, float, float, float]:
    """Lag sum and count, events applied, and the backlog gauge, from the server's /metrics."""
    found = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        if family.name
        in ("dockhand_docker_event_lag_seconds", "dockhand_docker_events", "dockhand_docker_event_backlog")
        for sample in family.samples
    }
    return (
        found.get("dockhand_docker_event_lag_seconds_sum", 0.0),
        found.get("dockhand_docker_event_lag_seconds_count", 0.0),
        found.get("dockhand_docker_events_total", 0.0),
        found.get("dockhand_docker_event_backlog", 0.0),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def storm(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="dh-storm-"))
    project = f"dhstorm-{uuid.uuid4().hex[:6]}"
    compose = workdir / "compose.yaml"
    compose.write_text(
        f"name: {project}\nservices:\n"
        + "".join(f"  svc{i:03d}:\n    image: {IMAGE}\n" for i in range(args.containers))
    )
    engine = ReplayEngine(record_inspect(project, workdir), project, args.containers)
    sock = str(workdir / "engine.sock")
    stop, queue, wake = threading.Event(), [], threading.Condition()
    server = serve(engine, sock, stop, queue, wake)
    calibration = docker.DockerClient(base_url=f"unix://{sock}")
    ids = list(engine.containers)
    began = time.perf_counter()
    for i in range(300):
        calibration.api.inspect_container(ids[i % len(ids)])
    capacity = 300 / (time.perf_counter() - began)
    calibration.close()
    engine.inspects = 0
    print(
        f"calibration: the replayed engine answers {capacity:.0f} inspects/s to a docker-SDK client in this process "
        "(an upper bound for `inspects` below)"
    )
    metrics_port = free_port()
    os.environ["DOCKER_HOST"] = f"unix://{sock}"
    os.environ["DOCKHAND_TELEMETRY_DIR"] = str(workdir / "telemetry")
    lsp = CountingLsp([sys.executable, "-m", "dockhand"])
    await lsp.start()
    await lsp.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": workdir.as_uri(),
            "workspaceFolders": [{"uri": workdir.as_uri(), "name": "storm"}],
            "capabilities": {"workspace": {"codeLens": {"refreshSupport": True}}},
            "initializationOptions": {"trusted": True, "metricsPort": metrics_port, "otlpPort": 0},
        },
    )
    lsp.notify("initialized", {})
    lsp.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": compose.as_uri(),
                "languageId": "dockercompose",
                "version": 1,
                "text": compose.read_text(),
            }
        },
    )
    await asyncio.to_thread(engine.events_open.wait, 30)
    await asyncio.sleep(2)  # let the first resync and publish settle
    print(f"replayed engine: {len(ids)} containers of {project}; server pid {lsp._proc.pid}")  # type: ignore[union-attr]
    print(
        f"{'rate/s':>7} {'t':>3} {'emitted/s':>9} {'handled/s':>9} {'inspects':>9} {'backlog':>8} {'gauge':>7} "
        f"{'lag mean ms':>11} {'publishes':>9} {'refreshes':>9}"
    )
    async with httpx.AsyncClient(timeout=10) as http:
        for rate in args.rates:
            base_emitted = engine.emitted
            sum0, count0, applied0, _ = lag_totals((await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text)
            base_applied = applied0
            refreshes0 = lsp.requests.get("workspace/codeLens/refresh", 0)
            started, sent, index = time.monotonic(), 0, 0
            for second in range(1, args.seconds + 1):
                mark = (engine.emitted, engine.inspects, lsp.requests.get("workspace/codeLens/refresh", 0))
                publishes = 0
                while time.monotonic() - started < second:
                    due = int((time.monotonic() - started) * rate) - sent
                    if due > 0:
                        lines = []
                        for _ in range(due):
                            cid = ids[index % len(ids)]
                            index += 1
                            action = engine.flip(cid)
                            event = {
                                "Type": "container",
                                "Action": action,
                                "status": action,
                                "id": cid,
                                "Actor": {"ID": cid, "Attributes": attributes(engine, cid, action)},
                                "time": int(time.time()),
                                "timeNano": time.time_ns(),
                            }
                            lines.append(json.dumps(event).encode() + b"\n")
                        with wake:
                            queue.append(b"".join(lines))
                            wake.notify()
                        sent += due
                    publishes += sum(1 for _ in drain(lsp))
                    await asyncio.sleep(0.005)
                s, c, applied, queued = lag_totals((await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text)
                emitted, handled, inspects = engine.emitted - mark[0], applied - applied0, engine.inspects - mark[1]
                applied0 = applied
                backlog = (engine.emitted - base_emitted) - int(applied - base_applied)
                mean = (s - sum0) / (c - count0) * 1000 if c > count0 else float("nan")
                sum0, count0 = s, c
                print(
                    f"{rate:7d} {second:3d} {emitted:9d} {handled:9.0f} {inspects:9d} {backlog:8d} {queued:7.0f} "
                    f"{mean:11.1f} {publishes:9d} "
                    f"{lsp.requests.get('workspace/codeLens/refresh', 0) - mark[2]:9d}",
                    flush=True,
                )
            quiet = time.monotonic()
            while time.monotonic() - max(quiet, lsp.last_refresh) < 2 and time.monotonic() - quiet < 60:
                drain(lsp)
                await asyncio.sleep(0.1)
            settle = max(0.0, lsp.last_refresh - quiet)
            print(
                f"  after {rate}/s: lens refreshes went on for {settle:.1f} s after the storm "
                f"({lsp.requests.get('workspace/codeLens/refresh', 0) - refreshes0} in all); "
                f"server RSS {rss(lsp):.1f} MB"
            )
    stop.set()
    with wake:
        wake.notify_all()
    await lsp.stop()
    server.shutdown()
    if engine.unknown:
        print(f"engine calls not recorded (answered 404): {engine.unknown}")


def attributes(engine: ReplayEngine, container_id: str, action: str) -> dict[str, str]:
    """What the real engine puts in a container event's Actor.Attributes: labels, name, image, and a die's exit code."""
    attrs = engine.containers[container_id]
    found = {**attrs["Config"]["Labels"], "name": attrs["Name"].lstrip("/"), "image": attrs["Config"]["Image"]}
    if action == "die":
        found["exitCode"] = str(attrs["State"]["ExitCode"])
    return found


def drain(lsp: LspProcess) -> list[Any]:
    """Take the notifications that arrived; return the publishDiagnostics among them."""
    found = []
    while not lsp._notifications.empty():
        _, method, params = lsp._notifications.get_nowait()
        if method == "textDocument/publishDiagnostics":
            found.append(params)
    return found


def rss(lsp: LspProcess) -> float:
    import psutil

    return psutil.Process(lsp._proc.pid).memory_info().rss / 2**20  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="500,1000,2000", help="events a second, one phase each")
    parser.add_argument("--seconds", type=int, default=8, help="length of each phase")
    parser.add_argument("--containers", type=int, default=50)
    args = parser.parse_args()
    args.rates = [int(r) for r in args.rates.split(",")]
    asyncio.run(storm(args))


if __name__ == "__main__":
    main()

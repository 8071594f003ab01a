"""The parcel-shop example stack, up once per test run on the real engine, and a small real OTLP/HTTP receiver.

Contract for other test modules (`examples_stack`, session-scoped):
- `project`, `compose_file`, `directory`: run your own `docker compose -p <project> -f <compose_file> …`,
  or use `stack.compose(...)`, which also passes `env` (random host ports, the OTLP endpoint).
- `urls[service]`: `http://127.0.0.1:<random port>` for gateway, parcels, tracking, pricing, notifier.
- `otlp_port` / `host_gateway_ip`: the stack exports spans to `http://host.docker.internal:<otlp_port>` (every
  200 ms). Listen on that port on `host_gateway_ip` (and loopback) to receive them; when nobody listens they are
  dropped. The `otlp_receiver` fixture below does exactly that.
- Tests that turn knobs call `stack.restore()` afterwards (knobs reset, every service running again).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import docker
from dockhand.runtime.compose_cli import ComposeCli, run_compose
from tests.conftest import PROJECT_LABEL, ComposeProject

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples" / "parcel-shop"
PORT_VARIABLES = {
    "gateway": "GATEWAY_PORT",
    "parcels": "PARCELS_PORT",
    "tracking": "TRACKING_PORT",
    "pricing": "PRICING_PORT",
    "notifier": "NOTIFIER_PORT",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    """(status, parsed body, headers) of one request; 4xx/5xx are answers, not exceptions."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json", **(headers or {})}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, raw, head = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, raw, head = exc.code, exc.read(), dict(exc.headers)
    try:
        return status, json.loads(raw), head
    except ValueError:
        return status, raw.decode(), head


def eventually(check: Callable[[], Any], timeout: float = 20, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll until `check()` is truthy and return it; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class ExamplesStack:
    project: str
    compose_file: Path
    directory: Path
    cli: ComposeCli
    client: docker.DockerClient
    env: dict[str, str]
    otlp_port: int
    urls: dict[str, str] = field(default_factory=dict)
    host_gateway_ip: str = ""

    def compose(self, *args: str, timeout: float = 180) -> str:
        return run_compose(
            self.cli,
            ["-p", self.project, "-f", str(self.compose_file), *args],
            cwd=self.directory,
            timeout=timeout,
            env=self.env,
        ).stdout

    def compose_argv(self, *args: str) -> list[str]:
        """The argv of a compose command, for callers that want its exit code rather than an exception."""
        return self.cli.argv("-p", self.project, "-f", str(self.compose_file), *args)

    def container(self, service: str) -> Any:
        labels = [f"{PROJECT_LABEL}={self.project}", f"com.docker.compose.service={service}"]
        found = self.client.containers.list(all=True, filters={"label": labels})
        assert len(found) == 1, f"expected one {service} container, found {len(found)}"
        return found[0]

    def logs(self, service: str) -> str:
        return str(self.container(service).logs(timestamps=False).decode(errors="replace"))

    def restore(self) -> None:
        """Reset every knob and bring back any container that a test stopped (same host ports as before)."""
        for service, url in self.urls.items():
            if self.container(service).status == "running":
                with contextlib.suppress(OSError):
                    http("DELETE", f"{url}/admin/chaos")
        if any(self.container(s).status != "running" for s in self.urls):
            self.compose("start")
        # Always: a container a test restarted is "running" before its service listens again, and a backend
        # that does not answer yet turns the gateway's next order into a 503.
        for service, url in self.urls.items():
            eventually(lambda url=url: _answers(url), what=f"{service} to answer again")
        for service in ("gateway", "parcels", "pricing"):
            eventually(
                lambda s=service: self.docker_health(s) == "healthy", timeout=30, what=f"{service} healthy again"
            )

    def docker_health(self, service: str) -> str:
        """Docker's health status of the service's container ('' when it has no healthcheck)."""
        container = self.container(service)
        container.reload()
        return str(container.attrs["State"].get("Health", {}).get("Status", ""))


def _answers(url: str) -> bool:
    try:
        return http("GET", f"{url}/actuator/health")[0] in (200, 503)
    except OSError:
        return False


@contextlib.contextmanager
def running_examples_stack(
    docker_client: docker.DockerClient, compose_cli: ComposeCli, directory: Path = EXAMPLES_DIR
) -> Iterator[ExamplesStack]:
    """The parcel shop in `directory` (a copy works too), built and up (`--wait`) under a unique project, torn
    down with `down -v`. tests/browser uses it package-scoped, on a copy, so its editor sees only its own stack."""
    otlp_port = free_port()
    env = {
        **os.environ,
        # Free host ports chosen here, not by the engine, so a restarted container keeps its URL; never the
        # demo's 8080…8084, so tests run beside a running demo.
        **{variable: str(free_port()) for variable in PORT_VARIABLES.values()},
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://host.docker.internal:{otlp_port}",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    project = f"dhshop-{uuid.uuid4().hex[:8]}"
    stack = ExamplesStack(project, directory / "compose.yaml", directory, compose_cli, docker_client, env, otlp_port)
    try:
        stack.compose("build", "--quiet", timeout=600)
        started = time.monotonic()
        stack.compose("up", "-d", "--wait", "--wait-timeout", "120", timeout=180)
        print(f"\nexamples_stack: {project} up and healthy in {time.monotonic() - started:.1f} s")
        for service in PORT_VARIABLES:
            binding = stack.container(service).ports["8080/tcp"][0]
            assert binding["HostIp"] == "127.0.0.1", binding
            stack.urls[service] = f"http://127.0.0.1:{binding['HostPort']}"
        probe = stack.container("gateway").exec_run(
            ["python3", "-c", "import socket; print(socket.gethostbyname('host.docker.internal'))"]
        )
        stack.host_gateway_ip = probe.output.decode().strip()
        yield stack
    finally:
        ComposeProject(compose_cli, docker_client, directory, name=project).cleanup()
        label = {"label": f"{PROJECT_LABEL}={project}"}
        left = [*docker_client.containers.list(all=True, filters=label), *docker_client.volumes.list(filters=label)]
        assert not left, f"down -v left {left} behind"


@pytest.fixture(scope="session")
def examples_stack(docker_client: docker.DockerClient, compose_cli: ComposeCli) -> Iterator[ExamplesStack]:
    """The parcel shop, up once per run (see running_examples_stack)."""
    with running_examples_stack(docker_client, compose_cli) as stack:
        yield stack


@dataclass
class OtlpReceiver:
    """Spans received over OTLP/HTTP JSON, as (service.name, span) pairs."""

    spans: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, payload: dict[str, Any]) -> None:
        for resource_spans in payload.get("resourceSpans", []):
            attributes = {a["key"]: a["value"] for a in resource_spans.get("resource", {}).get("attributes", [])}
            service = attributes.get("service.name", {}).get("stringValue", "")
            with self.lock:
                for scope in resource_spans.get("scopeSpans", []):
                    self.spans.extend((service, span) for span in scope.get("spans", []))

    def of_trace(self, trace_id: str) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return [(s, span) for s, span in self.spans if span["traceId"] == trace_id]


@pytest.fixture
def otlp_receiver(examples_stack: ExamplesStack) -> Iterator[OtlpReceiver]:
    """A stdlib OTLP/HTTP receiver on the stack's export port, on the bridge gateway and on loopback."""
    received = OtlpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ok = self.path == "/v1/traces" and self.headers.get("Content-Type", "").startswith("application/json")
            if ok:
                received.add(json.loads(body))
            self.send_response(200 if ok else 415)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    try:
        servers = [
            ThreadingHTTPServer((host, examples_stack.otlp_port), Handler)
            for host in {examples_stack.host_gateway_ip, "127.0.0.1"}
        ]
    except OSError as exc:
        pytest.fail(
            f"cannot listen on {examples_stack.host_gateway_ip}:{examples_stack.otlp_port}, where containers reach "
            f"the host ({exc}); if `ip addr show docker0` finds no bridge, restart dockerd (scripts/start-docker)",
            pytrace=False,
        )
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield received
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def run(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """A command whose exit code the test wants to see (argv list, never a shell)."""
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=EXAMPLES_DIR)

"""Actuator pollers against real local HTTP servers: hangs, slow drips, huge bodies, DOWN answers, bounded concurrency.

No Docker needed: the containers are ContainerInfo records whose published ports are these servers' ports.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dockhand.config import Settings
from dockhand.observe import metrics
from dockhand.runtime.health import HealthMonitor, Target
from dockhand.runtime.state import ContainerInfo, EngineStatus, PortBinding, ProjectInfo, StateStore


class InFlight:
    """Requests being answered right now across several endpoints, and the most there ever were."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


class Endpoint:
    """A local server whose /actuator/health does what `mode` says; counts requests in flight."""

    def __init__(self, mode: str, in_flight: InFlight | None = None) -> None:
        self.mode = mode
        self.in_flight = in_flight or InFlight()
        self.release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.in_flight.enter()
                try:
                    endpoint.answer(self)
                finally:
                    endpoint.in_flight.leave()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # the poller hung up
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path != "/actuator/health":
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if self.mode == "hang":
            self.release.wait(30)
            return
        if self.mode == "slow":
            time.sleep(0.5)
        status, body = 200, json.dumps({"status": "UP", "components": {"ping": {"status": "UP"}}}).encode()
        if self.mode == "down":
            status, body = 503, json.dumps({"status": "DOWN", "components": {"db": {"status": "DOWN"}}}).encode()
        if self.mode == "huge":
            body = json.dumps(
                {"status": "UP", "components": {f"c{i}": {"status": "UP"} for i in range(40000)}}
            ).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if self.mode == "drip":
            for byte in body:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.2)
            return
        handler.wfile.write(body)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints() -> Iterator[list[Endpoint]]:
    made: list[Endpoint] = []
    yield made
    for e in made:
        e.close()


def container(cid: str, port: int, actuator: str | None = None) -> ContainerInfo:
    labels = {"dockhand.actuator": actuator} if actuator else {}
    return ContainerInfo(
        cid, f"shop-{cid}-1", "shop", cid, state="running", started_at=time.time() - 600,
        ports=(PortBinding(8080, "tcp", "127.0.0.1", port),), labels=labels,
    )  # fmt: skip


async def watch(containers: list[ContainerInfo], settings: Settings, seconds: float) -> StateStore:
    store = StateStore()
    monitor = HealthMonitor(store, lambda: settings, "unix:///var/run/docker.sock")
    task = asyncio.create_task(monitor.run())
    store.set_projects([ProjectInfo("shop", "/w", ("/w/compose.yaml",))])
    store.replace_all(containers, EngineStatus("up"))
    await asyncio.sleep(seconds)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return store


async def test_hanging_and_dripping_endpoints_time_out_and_say_so(endpoints: list[Endpoint]) -> None:
    hang, drip = Endpoint("hang"), Endpoint("drip")
    endpoints += [hang, drip]
    settings = Settings(health_interval_s=0.2, health_timeout_s=0.5, health_max_backoff_s=1)
    url = f"http://127.0.0.1:{hang.port}"
    timeouts_before = poller_errors("timeout")
    store = await watch(
        [container("hung", hang.port, url), container("drip", drip.port, f"http://127.0.0.1:{drip.port}")],
        settings,
        2.5,
    )
    hung = store.snapshot.actuator["hung"]
    assert hung.last_error.endswith(": timed out")
    assert hung.failures >= 1 and hung.url == f"{url}/actuator/health"
    assert store.snapshot.actuator["drip"].last_error  # bytes kept coming, but not within the time limit
    assert poller_errors("timeout") >= timeouts_before + 2  # /metrics counts them by kind


def poller_errors(kind: str) -> float:
    return metrics.REGISTRY.get_sample_value("dockhand_poller_errors_total", {"kind": kind}) or 0.0


async def test_down_is_an_answer_and_huge_bodies_are_not_read(endpoints: list[Endpoint]) -> None:
    down, huge = Endpoint("down"), Endpoint("huge")
    endpoints += [down, huge]
    store = await watch(
        [container("down", down.port), container("huge", huge.port, str(8080))], Settings(health_interval_s=0.2), 1.5
    )
    answer = store.snapshot.actuator["down"]
    assert (answer.status, answer.components, answer.last_error) == ("DOWN", (("db", "DOWN"),), "")
    assert answer.links == (("Actuator", f"http://127.0.0.1:{down.port}/actuator"),)  # no OpenAPI answered
    assert "larger than 256 KB" in store.snapshot.actuator["huge"].last_error


async def test_requests_in_flight_stay_within_the_concurrency_setting(endpoints: list[Endpoint]) -> None:
    shared = InFlight()
    slow = [Endpoint("slow", shared) for _ in range(6)]
    endpoints += slow
    settings = Settings(health_interval_s=0.2, health_timeout_s=2.0, health_concurrency=2)
    containers = [container(f"s{i}", e.port, f"http://127.0.0.1:{e.port}") for i, e in enumerate(slow)]
    store = await watch(containers, settings, 4.0)
    # Six endpoints that take half a second each, polled two at a time: never more than two requests at once ...
    assert shared.peak == 2
    # ... and still every one of them was asked in turn and answered, none starved.
    assert all(store.snapshot.actuator[f"s{i}"].status == "UP" for i in range(6))


async def test_a_new_concurrency_setting_applies_without_a_restart(endpoints: list[Endpoint]) -> None:
    shared = InFlight()
    slow = [Endpoint("slow", shared) for _ in range(6)]
    endpoints += slow
    current = Settings(health_interval_s=0.2, health_timeout_s=2.0, health_concurrency=1)
    store = StateStore()
    monitor = HealthMonitor(store, lambda: current, "unix:///var/run/docker.sock")
    task = asyncio.create_task(monitor.run())
    store.set_projects([ProjectInfo("shop", "/w", ("/w/compose.yaml",))])
    store.replace_all(
        [container(f"s{i}", e.port, f"http://127.0.0.1:{e.port}") for i, e in enumerate(slow)], EngineStatus("up")
    )
    await asyncio.sleep(2.0)
    assert shared.peak == 1
    current = Settings(health_interval_s=0.2, health_timeout_s=2.0, health_concurrency=4)
    await asyncio.sleep(3.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 4 <= shared.peak <= 5  # the new limit (plus, at most, the old limit's one request finishing)


async def test_targets_of_another_source_are_polled_into_their_own_sink(endpoints: list[Endpoint]) -> None:
    """Swarm tasks are no containers of the store: their targets come through watch(), answers go to the caller's
    sink, and a target dropped by the next watch() call is said to be gone (None)."""
    up, down = Endpoint("up"), Endpoint("down")
    endpoints += [up, down]
    store = StateStore()
    monitor = HealthMonitor(store, lambda: Settings(health_interval_s=0.2), "unix:///var/run/docker.sock")
    task = asyncio.create_task(monitor.run())
    answers: dict[str, Any] = {}
    targets = {
        "task:a": Target((f"http://127.0.0.1:{up.port}",), False),
        "task:b": Target((f"http://127.0.0.1:{down.port}",), False),
    }
    monitor.watch("swarm", targets, answers.__setitem__)
    await asyncio.sleep(1.0)
    assert (answers["task:a"].status, answers["task:b"].status) == ("UP", "DOWN")
    assert store.snapshot.actuator == {}  # nothing written into the containers' store
    monitor.watch("swarm", {"task:a": targets["task:a"]}, answers.__setitem__)
    await asyncio.sleep(0.3)
    assert answers["task:b"] is None and answers["task:a"].status == "UP"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

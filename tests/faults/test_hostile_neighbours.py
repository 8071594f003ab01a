"""Hostile Actuator neighbours on real local HTTP servers, polled for real containers: one that accepts and never
answers, one that answers a byte a second, one that sends 10 MB of JSON — next to an honest one. Hovers keep
answering (figures printed), the honest service stays healthy, the hostile ones are shown failing, memory and
hover size stay bounded."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ComposeProject
from tests.faults.conftest import BUSYBOX, Figures
from tests.faults.hostile import HostileServer, actuator_flood, answer, black_hole, trickle
from tests.live_server import hover_text, open_document, request, running_server, server_process

HONEST = json.dumps({"status": "UP", "components": {"db": {"status": "UP"}, "diskSpace": {"status": "UP"}}}).encode()


@pytest.fixture
def neighbours() -> Iterator[dict[str, HostileServer]]:
    with ExitStack() as stack:
        yield {
            "honest": stack.enter_context(HostileServer(answer(HONEST), "honest")),
            "blackhole": stack.enter_context(HostileServer(black_hole(), "blackhole")),
            "trickle": stack.enter_context(HostileServer(trickle(), "trickle")),
            "flood": stack.enter_context(HostileServer(answer(actuator_flood(10_000_000)), "flood")),
        }


def compose_text(project: str, names: tuple[str, ...], neighbours: dict[str, HostileServer]) -> str:
    """One tiny container per neighbour, its Actuator endpoint set by the `dockhand.actuator` label."""
    lines = [f"name: {project}", "services:"]
    for name in names:
        lines += [
            f"  {name}:",
            f"    image: {BUSYBOX}",
            "    command: [sleep, '3600']",
            "    init: true",
            "    network_mode: none",
            "    labels:",
            f"      dockhand.actuator: {neighbours[name].url}",
        ]
    return "\n".join(lines) + "\n"


def by_name(payload: dict[str, Any], project: str) -> dict[str, dict[str, Any]]:
    found = next((p for p in payload["projects"] if p["name"] == project), {"services": []})
    return {s["name"]: s for s in found["services"]}


@dataclass
class Observed:
    """What 12 s of hovering every service saw while the pollers ran."""

    services: dict[str, dict[str, Any]]
    hover_ms: list[float]
    largest_hover: dict[str, int]
    rss_mb: tuple[float, float]


async def run_neighbours(
    project: ComposeProject, names: tuple[str, ...], neighbours: dict[str, HostileServer], figures: Figures, label: str
) -> Observed:
    """Start the containers and a server, wait for the honest neighbour to be healthy, hover for 12 s."""
    project.write(compose_text(project.name, names, neighbours))
    project.compose("up", "-d")
    options = {"healthIntervalS": 0.5, "healthTimeoutS": 1.0}
    async with running_server(options, workspace=str(project.directory)) as lsp:
        uri = open_document(lsp, str(project.file))
        process = server_process(lsp)

        async def services() -> dict[str, dict[str, Any]]:
            return by_name(await request(lsp, "dockhand/services"), project.name)

        async def honest_healthy() -> bool:
            return (await services()).get("honest", {}).get("health") == "healthy"

        assert await poll(honest_healthy, 30), await services()
        rss_before = process.memory_info().rss / 2**20
        hover_ms: list[float] = []
        largest: dict[str, int] = {}
        started = time.monotonic()
        while time.monotonic() - started < 12:  # several polls of each neighbour
            for index, name in enumerate(names):
                sent = time.perf_counter()
                text = await hover_text(lsp, uri, 2 + 7 * index, 3)
                hover_ms.append((time.perf_counter() - sent) * 1000)
                largest[name] = max(largest.get(name, 0), len(text))
            await asyncio.sleep(0.1)
        for name in names:  # a failing neighbour gets a little longer to be reported
            if name != "honest":
                await poll(lambda name=name: _failing(services, name), 20)
        observed = Observed(await services(), hover_ms, largest, (rss_before, process.memory_info().rss / 2**20))
        assert process.is_running()
    figures.latencies(f"hover, {label}", hover_ms)
    figures.add(f"server RSS, {label}", f"{observed.rss_mb[0]:.1f} → {observed.rss_mb[1]:.1f} MB over 12 s")
    figures.add(f"largest hover (chars), {label}", json.dumps(largest))
    return observed


async def _failing(services: Any, name: str) -> str:
    return str((await services()).get(name, {}).get("lastError") or "")


async def test_unanswering_and_trickling_actuators_are_shown_failing_next_to_a_healthy_one(
    compose_project: ComposeProject, neighbours: dict[str, HostileServer], figures: Figures
) -> None:
    seen = await run_neighbours(
        compose_project, ("honest", "blackhole", "trickle"), neighbours, figures, "black hole + 1 byte/s"
    )
    assert seen.services["honest"]["health"] == "healthy" and not seen.services["honest"].get("lastError")
    for name in ("blackhole", "trickle"):
        assert "timed out" in str(seen.services[name].get("lastError")), seen.services[name]
        assert seen.services[name]["health"] != "healthy"
    assert neighbours["honest"].connections >= 5  # the honest one kept being polled while the others hung
    figures.add(
        "hostile connections held",
        f"black hole {neighbours['blackhole'].connections}, trickle {neighbours['trickle'].connections} "
        f"({neighbours['trickle'].bytes_sent} bytes dribbled)",
    )


@pytest.mark.timeout(240)
async def test_a_10mb_health_document_neither_bloats_hovers_nor_starves_the_honest_poller(
    compose_project: ComposeProject, neighbours: dict[str, HostileServer], figures: Figures
) -> None:
    seen = await run_neighbours(compose_project, ("honest", "flood"), neighbours, figures, "10 MB health JSON")
    figures.add(
        "flood served", f"{neighbours['flood'].bytes_sent / 2**20:.0f} MB in {neighbours['flood'].connections} answers"
    )
    assert seen.services["honest"]["health"] == "healthy"
    assert neighbours["honest"].connections >= 5
    assert seen.largest_hover["flood"] < 64_000, "a 10 MB health document must not become a 10 MB hover"


async def poll(check: Any, within: float, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(interval)
    return None

"""The parcel-shop example deployed as a Swarm stack on the rig's two nodes (tests/swarm/example_stack.py says how its
stack file differs from the example's compose file), driven from the editor: the Deploy stack lens, every service at
2/2 with a task on each node, the Actuator of each task polled at its node's published port (hover), a task whose
Actuator reports OUT_OF_SERVICE shown as an error on its service's line until it is UP again, and the gateway's task
killed on the worker shown as a diagnostic until Swarm has replaced it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
from lsprotocol import types

from tests.docker.live_helpers import services, until
from tests.swarm.conftest import Rig
from tests.swarm.example_stack import SERVICES, service_lines, swarm_variant
from tests.swarm.stack_session import stack_session

FIRST_PORT = 18180


async def test_the_example_stack_on_two_nodes(swarm_rig: Rig, rig_docker_config: Path, tmp_path: Path) -> None:
    text, ports = swarm_variant(FIRST_PORT)
    line = service_lines(text)
    worker_url = f"http://{swarm_rig.worker_ip}:{ports['tracking']}"
    async with stack_session(swarm_rig, rig_docker_config, tmp_path, "dhshop", text) as session:
        answer = await session.deploy()
        assert answer["ok"], answer
        for name in SERVICES:  # healthchecks pass before Swarm calls a task running
            await until(lambda n=name: session.has_title(line[n], "⎈ 2/2 replicated"), f"{name} at 2/2", 180)

        # Each task's Actuator, asked at its own node's address and published port.
        async def both_up() -> str | None:
            hover = await session.hover(line["tracking"])
            up = [row for row in hover.splitlines() if ": running" in row and row.endswith("· Actuator UP")]
            return hover if {"on dhs-m1" in r for r in up} == {True, False} else None

        hover = await until(both_up, "the tracking tasks' Actuator UP on both nodes", 60)
        assert f"stack `{session.stack}`" in hover and "2/2 running" in hover
        stacks = (await services(session.client))["stacks"]  # the Services tree's data
        (listed,) = [s for s in stacks if s["name"] == session.stack]
        tracking = next(s for s in listed["services"] if s["name"] == "tracking")
        running = {t["node"]: t["actuator"] for t in tracking["tasks"] if t["state"] == "running"}
        assert running == {"dhs-m1": "UP", "dhs-w1": "UP"}

        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            chaos = await http.post(f"{worker_url}/admin/chaos", json={"health": {"diskSpace": "OUT_OF_SERVICE"}})
            assert chaos.status_code < 300, chaos.text  # the worker's task only: the manager's stays UP
            unhealthy = await until(
                lambda: session.diagnostic("swarm-unhealthy"), "the task's Actuator as an error", 60
            )
            assert unhealthy.range.start.line == line["tracking"]
            assert unhealthy.severity == types.DiagnosticSeverity.Error
            assert "on dhs-w1: Actuator OUT_OF_SERVICE (diskSpace OUT_OF_SERVICE)" in unhealthy.message
            assert f"{worker_url}/actuator/health" in unhealthy.message
            await http.delete(f"{worker_url}/admin/chaos")
        await until(lambda: session.diagnostic("swarm-unhealthy") is None, "the error gone once UP again", 60)

        # The gateway's task on the worker, killed through the worker's own engine: a diagnostic, then recovery.
        with contextlib.closing(swarm_rig.client(swarm_rig.worker)) as worker:
            label = f"com.docker.swarm.service.name={session.stack}_gateway"
            (victim,) = worker.containers.list(filters={"label": label})
            victim.kill()
        failed = await until(lambda: session.diagnostic("swarm-task-failed"), "the killed task as a diagnostic", 30)
        assert failed.range.start.line == line["gateway"] and "dhs-w1" in failed.message
        await until(lambda: session.diagnostic("swarm-task-failed") is None, "the diagnostic gone once replaced", 120)
        await until(lambda: session.has_title(line["gateway"], "⎈ 2/2 replicated"), "gateway back at 2/2", 120)

"""A compose file deployed as a Swarm stack on the rig's two nodes, driven from the editor: Deploy stack lens, the
stack matched to the file, replicas and tasks per node in lenses and hover, warnings for keys `docker stack deploy`
ignores, a task killed on the worker shown as a diagnostic until Swarm has replaced it, Scale, Restart and Remove."""

from __future__ import annotations

import contextlib
from pathlib import Path

from lsprotocol import types

from tests.docker.live_helpers import services, until
from tests.swarm.conftest import Rig
from tests.swarm.stack_session import StackSession, stack_session

STACK = """services:
  web:
    image: dockhand/busybox:local
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
    container_name: ignored-by-swarm
    deploy:
      replicas: 2
      placement: {max_replicas_per_node: 1}
      restart_policy: {condition: any, delay: 1s}
  worker:
    image: dockhand/busybox:local
    command: ["sleep", "86400"]
    depends_on: [web]
  nowhere:
    image: dockhand/busybox:local
    command: ["sleep", "86400"]
    deploy:
      placement: {constraints: ["node.labels.dockhand == never"]}
"""
WEB_LINE, WORKER_LINE, NOWHERE_LINE = 1, 9, 13


async def test_a_stack_on_two_nodes_from_the_editor(swarm_rig: Rig, rig_docker_config: Path, tmp_path: Path) -> None:
    async with stack_session(swarm_rig, rig_docker_config, tmp_path, "dhstk", STACK) as session:
        stack, client, uri = session.stack, session.client, session.uri
        answer = await session.deploy()
        assert answer["ok"], answer
        assert answer["argv"][1:4] == ["stack", "deploy", "--detach=true"]

        await until(lambda: session.has_title(WEB_LINE, "⎈ 2/2 replicated"), "both web tasks running", 120)
        hover = await session.hover(WEB_LINE)
        assert f"stack `{stack}`" in hover and "2/2 running" in hover
        assert "on dhs-m1: running" in hover and "on dhs-w1: running" in hover  # one task per node

        # The Services tree's data: the stack, its services' mode and replicas, and their tasks on both nodes.
        (listed,) = [s for s in (await services(client))["stacks"] if s["name"] == stack]
        web = next(s for s in listed["services"] if s["name"] == "web")
        assert (web["mode"], web["running"], web["desired"]) == ("replicated", 2, 2)
        assert {t["node"] for t in web["tasks"] if t["state"] == "running"} == {"dhs-m1", "dhs-w1"}

        messages = {(d.range.start.line, d.severity, d.message.split(" ")[0]) for d in client.diagnostics[uri]}
        assert (WEB_LINE, types.DiagnosticSeverity.Warning, "`container_name`") in messages
        assert (WORKER_LINE, types.DiagnosticSeverity.Warning, "`depends_on`") in messages

        unplaceable = await until(lambda: session.diagnostic("swarm-unplaceable"), "the unplaceable task", 30)
        assert unplaceable.range.start.line == NOWHERE_LINE and "no suitable node" in unplaceable.message

        # Kill the web task on the worker, through the worker's own engine: Swarm replaces it within seconds.
        with contextlib.closing(swarm_rig.client(swarm_rig.worker)) as worker:
            (victim,) = worker.containers.list(filters={"label": f"com.docker.swarm.service.name={stack}_web"})
            victim.kill()
        failed = await until(lambda: session.diagnostic("swarm-task-failed"), "the failed task as a diagnostic", 30)
        assert failed.range.start.line == WEB_LINE and "dhs-w1" in failed.message
        assert failed.severity == types.DiagnosticSeverity.Error
        await until(lambda: session.diagnostic("swarm-task-failed") is None, "the diagnostic gone once replaced", 60)
        await until(lambda: session.has_title(WEB_LINE, "⎈ 2/2 replicated"), "web back at 2/2", 60)

        restart = await session.lens("↻ Restart service")
        assert restart is not None and (await session.run(restart))["ok"]
        scale_down = await session.lens("▼ Scale")
        assert scale_down is not None and (await session.run(scale_down))["ok"]
        await until(lambda: session.has_title(WEB_LINE, "⎈ 1/1 replicated"), "web scaled to one task", 60)
        assert session.manager.services.get(f"{stack}_web").attrs["Spec"]["Mode"]["Replicated"]["Replicas"] == 1

        remove = await session.lens("✕ Remove stack")
        assert remove is not None and (await session.run(remove))["ok"]
        await until(lambda: _gone(session), "the stack's lenses gone after Remove stack", 60)
        assert not session.manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"})


async def _gone(session: StackSession) -> bool:
    return await session.lens("✕ Remove stack") is None and await session.lens("⎈") is None

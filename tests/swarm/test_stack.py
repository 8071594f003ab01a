"""A compose file deployed as a Swarm stack on the rig's two nodes, driven from the editor: Deploy stack lens, the
stack matched to the file, replicas and tasks per node in lenses and hover, warnings for keys `docker stack deploy`
ignores, a task killed on the worker shown as a diagnostic until Swarm has replaced it, Scale, Restart and Remove."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.docker.live_helpers import lenses, open_document, services, start_client, until
from tests.swarm.conftest import Rig

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


def _titles(found: list[types.CodeLens], line: int) -> list[str]:
    return [lens.command.title for lens in found if lens.range.start.line == line and lens.command]


def _lens(found: list[types.CodeLens], title_start: str) -> types.CodeLens | None:
    return next((x for x in found if x.command and x.command.title.startswith(title_start)), None)


async def _run(client: Any, lens: types.CodeLens) -> dict[str, Any]:
    assert lens.command is not None
    params = types.ExecuteCommandParams(command=lens.command.command, arguments=lens.command.arguments)
    answer = await client.workspace_execute_command_async(params)
    return answer if isinstance(answer, dict) else dict(answer)


async def test_a_stack_on_two_nodes_from_the_editor(swarm_rig: Rig, rig_docker_config: Path, tmp_path: Path) -> None:
    stack = f"dhstk{uuid.uuid4().hex[:6]}"
    folder = tmp_path / stack  # the project's name (its folder) is the stack's name
    folder.mkdir()
    compose_file = folder / "compose.yaml"
    compose_file.write_text(STACK)
    env = {"DOCKER_CONFIG": str(rig_docker_config), "DOCKER_HOST": "", "DOCKHAND_DOCKER_CONTEXT": "rig-manager"}
    client = await start_client(folder, env=env)
    manager = swarm_rig.client(swarm_rig.manager)
    try:
        uri = open_document(client, compose_file)

        async def found() -> list[types.CodeLens]:
            return await lenses(client, uri)

        deploy = await until(lambda: _first_lens(found, f"⇪ Deploy stack {stack}"), "the Deploy stack lens", 30)
        answer = await _run(client, deploy)
        assert answer["ok"], answer
        assert answer["argv"][1:4] == ["stack", "deploy", "--detach=true"]

        await until(lambda: _has_title(found, WEB_LINE, "⎈ 2/2 replicated"), "both web tasks running", 120)
        hover = await _hover(client, uri, WEB_LINE)
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

        unplaceable = await until(lambda: _coded(client, uri, "swarm-unplaceable"), "the unplaceable task", 30)
        assert unplaceable.range.start.line == NOWHERE_LINE and "no suitable node" in unplaceable.message

        # Kill the web task on the worker, through the worker's own engine: Swarm replaces it within seconds.
        with contextlib.closing(swarm_rig.client(swarm_rig.worker)) as worker:
            (victim,) = worker.containers.list(filters={"label": f"com.docker.swarm.service.name={stack}_web"})
            victim.kill()
        failed = await until(lambda: _task_failure(client, uri), "the failed task as a diagnostic", 30)
        assert failed.range.start.line == WEB_LINE and "dhs-w1" in failed.message
        assert failed.severity == types.DiagnosticSeverity.Error
        await until(lambda: _task_failure(client, uri) is None, "the diagnostic gone once the task is replaced", 60)
        await until(lambda: _has_title(found, WEB_LINE, "⎈ 2/2 replicated"), "web back at 2/2", 60)

        restart = _lens(await found(), "↻ Restart service")
        assert restart is not None and (await _run(client, restart))["ok"]
        scale_down = _lens(await found(), "▼ Scale")
        assert scale_down is not None and (await _run(client, scale_down))["ok"]
        await until(lambda: _has_title(found, WEB_LINE, "⎈ 1/1 replicated"), "web scaled to one task", 60)
        assert manager.services.get(f"{stack}_web").attrs["Spec"]["Mode"]["Replicated"]["Replicas"] == 1

        remove = _lens(await found(), "✕ Remove stack")
        assert remove is not None and (await _run(client, remove))["ok"]
        await until(lambda: _gone(found), "the stack's lenses gone after Remove stack", 60)
        assert not manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"})
    finally:
        await client.shutdown_session()
        with contextlib.suppress(Exception):
            for service in manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"}):
                service.remove()
        manager.close()


async def _first_lens(found: Any, title: str) -> types.CodeLens | None:
    return _lens(await found(), title)


async def _has_title(found: Any, line: int, title: str) -> bool:
    return title in _titles(await found(), line)


async def _gone(found: Any) -> bool:
    return _lens(await found(), "✕ Remove stack") is None and _lens(await found(), "⎈") is None


def _coded(client: Any, uri: str, code: str) -> types.Diagnostic | None:
    return next((d for d in client.diagnostics.get(uri, []) if d.code == code), None)


def _task_failure(client: Any, uri: str) -> types.Diagnostic | None:
    return _coded(client, uri, "swarm-task-failed")


async def _hover(client: Any, uri: str, line: int) -> str:
    params = types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, 4))
    hover = await client.text_document_hover_async(params)
    await asyncio.sleep(0)
    contents = hover.contents if hover is not None else ""
    return contents.value if isinstance(contents, types.MarkupContent) else str(contents)

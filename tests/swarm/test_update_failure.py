"""A rolling update that fails, for real on the rig: the stack is deployed from the editor, the file is changed to a
command that exits at once and deployed again; Swarm's updater sees the new tasks fail within `monitor` and, as each
service's `update_config.failure_action` says, rolls one back and pauses the other. Both show as warnings on their
service's line, with Swarm's own message."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from lsprotocol import types

from tests.docker.live_helpers import lenses, open_document, start_client, until
from tests.swarm.conftest import Rig
from tests.swarm.test_stack import _first_lens, _has_title, _run

STACK = """services:
  rolls:
    image: dockhand/busybox:local
    command: {command}
    deploy:
      update_config: {{failure_action: rollback, monitor: 5s}}
      restart_policy: {{condition: any, delay: 1s}}
  pauses:
    image: dockhand/busybox:local
    command: {command}
    deploy:
      update_config: {{failure_action: pause, monitor: 5s}}
      restart_policy: {{condition: any, delay: 1s}}
"""
ROLLS_LINE, PAUSES_LINE = 1, 7
GOOD, BAD = '["sleep", "86400"]', '["sh", "-c", "exit 3"]'


def _update_warnings(client: object, uri: str) -> dict[int, str]:
    found = getattr(client, "diagnostics", {}).get(uri, [])
    return {d.range.start.line: d.message for d in found if d.code == "swarm-update"}


async def test_a_failed_update_rolled_back_or_paused(swarm_rig: Rig, rig_docker_config: Path, tmp_path: Path) -> None:
    stack = f"dhupd{uuid.uuid4().hex[:6]}"
    folder = tmp_path / stack
    folder.mkdir()
    compose_file = folder / "compose.yaml"
    compose_file.write_text(STACK.format(command=GOOD))
    env = {"DOCKER_CONFIG": str(rig_docker_config), "DOCKER_HOST": "", "DOCKHAND_DOCKER_CONTEXT": "rig-manager"}
    client = await start_client(folder, env=env)
    manager = swarm_rig.client(swarm_rig.manager)
    try:
        uri = open_document(client, compose_file)

        async def found() -> list[types.CodeLens]:
            return await lenses(client, uri)

        deploy = await until(lambda: _first_lens(found, f"⇪ Deploy stack {stack}"), "the Deploy stack lens", 30)
        assert (await _run(client, deploy))["ok"]
        for line in (ROLLS_LINE, PAUSES_LINE):
            await until(lambda n=line: _has_title(found, n, "⎈ 1/1 replicated"), "both services running", 120)
        assert _update_warnings(client, uri) == {}

        # The same file with a command that fails, deployed again from the editor (the lens reads the file on disk).
        compose_file.write_text(STACK.format(command=BAD))
        assert (await _run(client, deploy))["ok"]

        def both() -> dict[int, str] | None:
            warnings = _update_warnings(client, uri)
            rolled = "rolled back" in warnings.get(ROLLS_LINE, "")
            return warnings if rolled and "paused" in warnings.get(PAUSES_LINE, "") else None

        warnings = await until(both, "the rolled-back and the paused update as warnings", 120)
        assert warnings[ROLLS_LINE].startswith("`rolls`: its update was rolled back")
        assert warnings[PAUSES_LINE].startswith("`pauses`: its rolling update is paused")
        assert {d.severity for d in client.diagnostics[uri] if d.code == "swarm-update"} == {
            types.DiagnosticSeverity.Warning
        }
        spec = manager.services.get(f"{stack}_rolls").attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
        assert spec["Args"] == ["sleep", "86400"]  # Swarm put the old command (compose `command` = Args) back
    finally:
        await client.shutdown_session()
        with contextlib.suppress(Exception):
            for service in manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"}):
                service.remove()
        manager.close()

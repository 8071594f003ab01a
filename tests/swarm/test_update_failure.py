"""A rolling update that fails, for real on the rig: the stack is deployed from the editor, the file is changed to a
command that exits at once and deployed again; Swarm's updater sees the new tasks fail within `monitor` and, as each
service's `update_config.failure_action` says, rolls one back and pauses the other. Both show as warnings on their
service's line, with Swarm's own message."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.docker.live_helpers import until
from tests.swarm.conftest import Rig
from tests.swarm.stack_session import stack_session

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


async def test_a_failed_update_rolled_back_or_paused(swarm_rig: Rig, rig_docker_config: Path, tmp_path: Path) -> None:
    async with stack_session(swarm_rig, rig_docker_config, tmp_path, "dhupd", STACK.format(command=GOOD)) as session:
        assert (await session.deploy())["ok"]
        for line in (ROLLS_LINE, PAUSES_LINE):
            await until(lambda n=line: session.has_title(n, "⎈ 1/1 replicated"), "both services running", 120)
        assert session.diagnostics("swarm-update") == []

        # The same file with a command that fails, deployed again from the editor (the lens reads the file on disk).
        session.compose_file.write_text(STACK.format(command=BAD))
        assert (await session.deploy())["ok"]

        def both() -> dict[int, str] | None:
            warnings = {d.range.start.line: d.message for d in session.diagnostics("swarm-update")}
            rolled = "rolled back" in warnings.get(ROLLS_LINE, "")
            return warnings if rolled and "paused" in warnings.get(PAUSES_LINE, "") else None

        warnings = await until(both, "the rolled-back and the paused update as warnings", 120)
        assert warnings[ROLLS_LINE].startswith("`rolls`: its update was rolled back")
        assert warnings[PAUSES_LINE].startswith("`pauses`: its rolling update is paused")
        assert {d.severity for d in session.diagnostics("swarm-update")} == {types.DiagnosticSeverity.Warning}
        spec = session.manager.services.get(f"{session.stack}_rolls").attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
        assert spec["Args"] == ["sleep", "86400"]  # Swarm put the old command (compose `command` = Args) back

"""In an untrusted workspace every lifecycle command is refused with a clear error, and nothing changes in Docker."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.conftest import ComposeProject
from tests.live_server import running_server, wait_for

LIFECYCLE = ["dockhand.up", "dockhand.down", "dockhand.start", "dockhand.stop", "dockhand.restart", "dockhand.recreate"]


def fingerprint(project: ComposeProject) -> list[tuple[str, str, str, str]]:
    """(service, id, status, started at) of every container of the project: what a command would change."""
    found = []
    for container in project.containers():
        container.reload()
        found.append(
            (
                container.labels["com.docker.compose.service"],
                container.id,
                container.status,
                container.attrs["State"]["StartedAt"],
            )
        )
    return sorted(found)


@pytest.mark.parametrize("trust", [{"trusted": False}, {}], ids=["untrusted", "trust-not-stated"])
async def test_lifecycle_commands_are_refused_without_trust(
    compose_project: ComposeProject, trust: dict[str, bool]
) -> None:
    compose_project.write(
        f"name: {compose_project.name}\nservices:\n  web:\n    image: dockhand/busybox:local\n"
        "    command: [sleep, '3600']\n    init: true\n  later:\n    image: dockhand/busybox:local\n"
        "    command: [sleep, '3600']\n    init: true\n"
    )
    compose_project.compose("up", "-d", "web")
    before = fingerprint(compose_project)
    options = {"trusted": None, **trust}  # None: not sent at all
    async with running_server(options, workspace=str(compose_project.directory)) as lsp:
        for command in LIFECYCLE:
            for service in ("web", "later", None):
                argument = {"project": compose_project.name, **({"service": service} if service else {})}
                result = await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command, [argument]))
                assert result["ok"] is False, (command, service, result)
                assert result["error"]["code"] == "untrusted"
                assert "untrusted" in result["error"]["message"]
                assert result["error"]["remediation"]
        shown = await wait_for(lambda: [m.message for m in lsp.messages if "untrusted" in m.message], within=10)
        assert shown and "trust" in shown[0].lower()
    assert fingerprint(compose_project) == before  # nothing started, stopped, restarted or removed
    assert [s for s, *_ in before] == ["web"]

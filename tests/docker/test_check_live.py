"""`dockhand check --live` against the real engine: a crashed container of the checked project is reported on its
service's line with the exit code and its last log line; a healthy neighbour gets nothing."""

from __future__ import annotations

import json
import time

from tests.check.cli import check
from tests.conftest import ComposeProject

STACK = """\
services:
  steady:
    image: dockhand/busybox:local
    command: ["sleep", "300"]
  crash:
    image: dockhand/busybox:local
    command: ["sh", "-c", "echo boom-from-crash; exit 3"]
"""


def test_live_reports_the_crashed_service_on_its_line(compose_project: ComposeProject) -> None:
    compose_project.write(STACK)
    compose_project.compose("up", "-d")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        crashed = compose_project.containers(**{"com.docker.compose.service": "crash"})
        if crashed and crashed[0].status == "exited":
            break
        time.sleep(0.5)
    result = check("--live", "--no-compose", "--format", "json", "compose.yaml", cwd=compose_project.directory)
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["line"], f["column"], f["severity"]) for f in findings] == [("exited", 5, 3, "error")]
    assert "exited with code 3" in findings[0]["message"]
    assert "boom-from-crash" in findings[0]["message"]

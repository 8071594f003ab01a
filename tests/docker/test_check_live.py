"""`dockhand check --live` against the real engine: a crashed container of the checked project is reported on its
service's line with the exit code and its last log line; a healthy neighbour gets nothing."""

from __future__ import annotations

import json
import time

from tests.check.cli import check
from tests.conftest import ComposeProject

FIND_COMPOSE = {"DOCKHAND_COMPOSE_BINARY": ""}
"""Let check find Compose (tests/check/cli.py turns it off by default): the config hash needs it."""

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


def test_live_reports_a_container_older_than_the_file(compose_project: ComposeProject) -> None:
    """Compose's config hash, as the editor reads it: an edit after `up` makes the container out of date, named on
    the edited service's line, and a recreate clears it."""
    compose_project.write(STACK.replace('["sleep", "300"]', '["sleep", "300"]\n    environment: {MODE: one}'))
    compose_project.compose("up", "-d", "steady")
    compose_project.write(STACK.replace('["sleep", "300"]', '["sleep", "300"]\n    environment: {MODE: two}'))
    result = check("--live", "--format", "json", "compose.yaml", cwd=compose_project.directory, env=FIND_COMPOSE)
    findings = json.loads(result.stdout)["findings"]
    older = [f for f in findings if f["rule"] == "out-of-date"]
    assert [(f["line"], f["severity"]) for f in older] == [(2, "warning")], result.stdout + result.stderr
    assert "older than this file" in older[0]["message"] and "environment `MODE` changed" in older[0]["message"]
    assert "two" not in older[0]["message"]  # values are never shown

    compose_project.compose("up", "-d", "steady")  # recreated from the file as it is now
    result = check("--live", "--format", "json", "compose.yaml", cwd=compose_project.directory, env=FIND_COMPOSE)
    assert not [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "out-of-date"], result.stdout

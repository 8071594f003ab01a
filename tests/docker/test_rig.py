"""The rig itself: a real compose project on the real engine with Compose v2, seen through the docker SDK."""

from __future__ import annotations

import json

from tests.conftest import PROJECT_LABEL, ComposeProject

TINY = """
services:
  web:
    image: dockhand/busybox:local
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/passwd"]
      interval: 1s
      retries: 20
  worker:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
    depends_on:
      web: {condition: service_healthy}
"""


def test_compose_up_is_seen_through_the_sdk_and_down_leaves_nothing(compose_project: ComposeProject) -> None:
    compose_project.write(TINY)
    compose_project.compose("up", "-d", "--wait")

    containers = {c.labels["com.docker.compose.service"]: c for c in compose_project.containers()}
    assert set(containers) == {"web", "worker"}
    assert all(c.status == "running" for c in containers.values())
    web = containers["web"]
    assert web.attrs["State"]["Health"]["Status"] == "healthy"
    assert web.labels[PROJECT_LABEL] == compose_project.name
    binding = web.ports["8080/tcp"][0]
    assert binding["HostIp"] == "127.0.0.1" and int(binding["HostPort"]) > 0

    ps = [json.loads(line) for line in compose_project.compose("ps", "--format", "json").splitlines() if line]
    assert sorted(p["Service"] for p in ps) == ["web", "worker"]

    compose_project.cleanup()
    assert compose_project.containers() == []
    assert compose_project.client.networks.list(filters={"label": f"{PROJECT_LABEL}={compose_project.name}"}) == []


def test_compose_failure_is_an_error_not_a_silent_success(compose_project: ComposeProject) -> None:
    import pytest

    from dockhand.errors import DiagnosticError

    compose_project.write("services:\n  web:\n    image: dockhand/busybox:local\n    depends_on: [ghost]\n")
    with pytest.raises(DiagnosticError) as err:
        compose_project.compose("config")
    assert "ghost" in err.value.message

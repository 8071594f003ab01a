"""Shared fixtures: the real Docker Engine and throw-away Compose projects that always clean up."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors
import pytest

import docker
from dockhand.runtime.compose_cli import ComposeCli, find_compose, run_compose

PROJECT_LABEL = "com.docker.compose.project"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(layer in str(item.path) for layer in ("tests/docker", "tests/faults", "tests/swarm")):
            item.add_marker(pytest.mark.docker)
    # Fast layers first, the real browser last: a broken basic layer fails the run in minutes, not after Chromium.
    items.sort(key=lambda item: "tests/browser" in str(item.path))


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client of the real engine. No engine is a failure, never a skip: run scripts/setup first."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(
            f"Docker Engine not reachable ({exc}). Run `scripts/setup` (it installs and starts dockerd).",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def compose_cli() -> ComposeCli:
    """The real Compose v2 binary."""
    return find_compose()


@dataclass
class ComposeProject:
    """A compose project in a temp folder with a unique name; `cleanup()` removes all it made."""

    cli: ComposeCli
    client: docker.DockerClient
    directory: Path
    name: str = field(default_factory=lambda: f"dhtest-{uuid.uuid4().hex[:10]}")

    @property
    def file(self) -> Path:
        return self.directory / "compose.yaml"

    def write(self, text: str) -> Path:
        self.file.write_text(text)
        return self.file

    def compose(self, *args: str, timeout: float = 180) -> str:
        return run_compose(
            self.cli, ["-p", self.name, "-f", str(self.file), *args], cwd=self.directory, timeout=timeout
        ).stdout

    def containers(self, **filters: str) -> list[docker.models.containers.Container]:
        labels = [f"{PROJECT_LABEL}={self.name}", *(f"{k}={v}" for k, v in filters.items())]
        return self.client.containers.list(all=True, filters={"label": labels})

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):  # the engine-level sweep below still runs
            self.compose("down", "-v", "--remove-orphans", "--timeout", "1", timeout=120)
        label = {"label": f"{PROJECT_LABEL}={self.name}"}
        for c in self.client.containers.list(all=True, filters=label):
            c.remove(force=True, v=True)
        for n in self.client.networks.list(filters=label):
            n.remove()
        for v in self.client.volumes.list(filters=label):
            v.remove(force=True)


@pytest.fixture
def compose_project(
    docker_client: docker.DockerClient, compose_cli: ComposeCli, tmp_path: Path
) -> Iterator[ComposeProject]:
    """A throw-away compose project, torn down (containers, networks, volumes) even when the test fails."""
    project = ComposeProject(compose_cli, docker_client, tmp_path)
    try:
        yield project
    finally:
        project.cleanup()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")

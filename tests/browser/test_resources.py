"""Resource use in real VS Code (code-server + Chromium) against real containers: CPU and memory on each running
service's line in the Services tree, and the Resources view sorted by CPU, then by memory with its sort button."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

import docker
from dockhand.runtime.compose_cli import ComposeCli
from tests.browser.workbench import CodeServer, Workbench, wait_until
from tests.conftest import ComposeProject

STACK = """
name: {name}
services:
  busy:  # a CPU loop, capped at a third of a core (the machine is shared)
    image: dockhand/busybox:local
    command: ["sh", "-c", "while true; do :; done"]
    cpus: 0.3
  fat:  # 40 MiB held in /dev/shm: the most memory of the three, over 90 % of its limit
    image: dockhand/busybox:local
    command: ["sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=40; exec sleep 3600"]
    mem_limit: 44m
  idle:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
    mem_limit: 32m
"""
FIGURES = re.compile(r"\d+\.\d% · [\d.]+ (B|KiB|MiB)")


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient, compose_cli: ComposeCli
) -> Iterator[ComposeProject]:
    project = ComposeProject(compose_cli, docker_client, tmp_path_factory.mktemp("resources"))
    project.write(STACK.format(name=project.name))
    try:
        project.compose("up", "-d")
        yield project
    finally:
        project.cleanup()


@pytest.fixture(scope="module")
def workbench(
    stack: ComposeProject, start_code_server: Callable[[dict[str, Any]], CodeServer], page: Page
) -> Workbench:
    server = start_code_server({"dockhand.statsIntervalS": 1})
    bench = Workbench(page, server, stack.directory).open()
    bench.open_file("compose.yaml")
    return bench


def test_services_tree_shows_cpu_and_memory_of_running_services(workbench: Workbench, stack: ComposeProject) -> None:
    workbench.show_dockhand()

    def rows() -> list[str] | None:
        found = workbench.tree_rows("Services")
        ours = [r for r in found if r.split(" ")[0] in ("busy", "fat", "idle")]
        return ours if len(ours) == 3 and all(FIGURES.search(r) for r in ours) else None

    shown = wait_until(rows, 90, "CPU and memory on each service's line")
    fat = next(r for r in shown if r.startswith("fat "))
    assert re.search(r"· (3\d|4\d)\.\d MiB", fat), fat  # the 40 MiB it holds, as Docker counts it


def test_resources_view_sorts_by_cpu_then_memory(workbench: Workbench, stack: ComposeProject) -> None:
    workbench.show_dockhand()
    section = workbench.section("Resources")
    expect(section.locator(".pane-header")).to_contain_text("by CPU", timeout=30_000)

    rows_seen: list[list[str]] = []

    def first_by(name: str) -> list[str] | None:
        texts = section.locator(".monaco-list-row").all_inner_texts()
        found = [" ".join(t.split()) for t in texts]  # label and description, in the order shown
        rows_seen.append(found)
        return found if len(found) == 3 and found[0].startswith(name) else None  # label and description touch

    try:
        rows = wait_until(lambda: first_by("busy"), 90, "busy first by CPU")
    except AssertionError as error:
        raise AssertionError(f"{error}; the rows shown last: {rows_seen[-1:]}") from None
    assert all("mem " in r and "net ↓" in r and "blk r " in r for r in rows), rows
    idle = next(r for r in rows if r.startswith("idle"))
    assert "/ 32.0 MiB (" in idle, idle  # used / limit and the share
    section.locator(".pane-header").hover()
    section.locator(".action-label[aria-label^='Sort Resources']").click()
    expect(section.locator(".pane-header")).to_contain_text("by memory", timeout=10_000)
    by_memory = wait_until(lambda: first_by("fat"), 30, "fat first by memory")
    assert re.search(r"/ 44\.0 MiB \(9\d%\)", by_memory[0]), by_memory  # near its limit: the row is flagged
    flagged = section.locator(".monaco-list-row", has_text="fat").locator(".codicon-warning")
    expect(flagged).to_have_count(1)
    workbench.stage_sidebar("Resources", width=900)
    workbench.screenshot("resources")  # README's docs/screenshots/resources.png is a copy of this picture

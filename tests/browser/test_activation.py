"""Dockhand in real VS Code on a plain workspace: the packaged extension activates, finds the project's Python,
starts the server, and the server's answers reach the editor (log, code lenses, diagnostics, hover, status bar)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.workbench import CodeServer, Workbench, wait_until

COMPOSE = """\
services:
  web:
    image: dockhand/busybox:local
    command: ["httpd", "-f", "-p", "8080"]
    ports: ["127.0.0.1:18080:8080"]
    depends_on: [db]
"""


@pytest.fixture(scope="module")
def workbench(
    tmp_path_factory: pytest.TempPathFactory, start_code_server: Callable[[dict[str, Any]], CodeServer], page: Page
) -> Iterator[Workbench]:
    folder = tmp_path_factory.mktemp("plain-workspace")
    (folder / "compose.yaml").write_text(COMPOSE)
    server = start_code_server({})
    yield Workbench(page, server, folder).open()


def test_the_extension_starts_the_server_with_the_configured_python(workbench: Workbench) -> None:
    log = wait_until(
        lambda: (text := workbench.server.dockhand_log()) and re.search(r"Dockhand \S+ ready", text) and text,
        60,
        "the server's ready line in the Dockhand log channel",
    )
    assert f"Starting the Dockhand server with {sys.executable}" in log
    assert "(workspace trusted: True)" in log
    workbench.command("Dockhand: Show Server Log")
    expect(workbench.page.locator(".output-view")).to_contain_text("ready", timeout=15_000)
    workbench.screenshot("server-log")


def test_a_compose_file_gets_lenses_and_a_diagnostic_for_an_undefined_dependency(workbench: Workbench) -> None:
    workbench.open_file("compose.yaml")
    expect(workbench.code_lens("Up all")).to_be_visible(timeout=30_000)
    # The server's static rules: `db` is not a service of this file.
    problem = workbench.page.locator(".editor-instance .squiggly-error, .editor-instance .squiggly-warning").first
    expect(problem).to_be_attached(timeout=30_000)
    workbench.command("View: Focus Problems (Errors, Warnings, Infos)")
    expect(workbench.page.locator(".markers-panel")).to_contain_text("db", timeout=15_000)
    workbench.screenshot("compose-file-diagnostics")


def test_hover_on_a_service_name(workbench: Workbench) -> None:
    workbench.open_file("compose.yaml")
    text = workbench.hover(workbench.token("web", line_containing="web:"), "web")
    assert "web" in text


def test_the_status_bar_shows_the_stack_and_focuses_services(workbench: Workbench) -> None:
    item = workbench.status_item()
    expect(item).to_have_text(re.compile(r"\d+/\d+ healthy|not running|Docker down"), timeout=30_000)
    item.click()
    expect(workbench.section("Services").locator(".pane-body")).to_be_visible(timeout=15_000)
    workbench.screenshot("status-and-services")

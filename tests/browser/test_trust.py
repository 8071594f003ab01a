"""Workspace trust in real VS Code: in Restricted Mode the server is told the folder is untrusted and a lifecycle
lens starts nothing (checked through Docker); once the person trusts the folder, the same lens starts the service."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.workbench import CodeServer, Workbench, wait_until
from tests.conftest import ComposeProject


def running(project: ComposeProject) -> bool:
    return any(c.status == "running" for c in project.containers())


def test_an_untrusted_folder_runs_no_docker_command_until_trusted(
    start_code_server: Callable[..., CodeServer], page: Page, compose_project: ComposeProject
) -> None:
    compose_project.write(
        f"name: {compose_project.name}\n"
        "services:\n"
        "  web:\n"
        "    image: dockhand/busybox:local\n"
        '    command: ["httpd", "-f", "-p", "8080"]\n'
    )
    server = start_code_server({}, trust_prompt=True)
    workbench = Workbench(page, server, compose_project.directory).open()
    page.get_by_role("button", name="No, I don't trust the authors").click()
    wait_until(lambda: "(workspace trusted: False)" in server.dockhand_log(), 60, "the server to start untrusted")

    workbench.open_file("compose.yaml")
    web = workbench.line(re.compile(r"^\s*web:\s*$"))
    workbench.lens_above(web, "Start").click()
    toast = page.locator(".notifications-toasts", has_text="untrusted workspace")
    expect(toast).to_be_visible(timeout=30_000)
    workbench.screenshot("untrusted-refusal")
    assert compose_project.containers() == [], "an untrusted workspace started a container"

    # Trusting the folder reaches the running server (no restart), and the same lens now works.
    page.locator(".statusbar-item", has_text="Restricted Mode").click()
    page.get_by_role("button", name=re.compile(r"^Trust( Folder)?$")).first.click()
    expect(page.locator(".statusbar-item", has_text="Restricted Mode")).to_have_count(0, timeout=15_000)
    workbench.open_file("compose.yaml")

    def started() -> bool:
        if not running(compose_project):
            workbench.lens_above(workbench.line(re.compile(r"^\s*web:\s*$")), "Start", timeout=10).click()
        return wait_until_quietly(lambda: running(compose_project), 10)

    wait_until(started, 90, "the trusted workspace's Start lens to start the web container")


def wait_until_quietly(check: Callable[[], bool], timeout: float) -> bool:
    try:
        return bool(wait_until(check, timeout, "it"))
    except AssertionError:
        return False

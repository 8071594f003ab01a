"""Fixtures for the end-to-end tests in real VS Code: code-server with the packaged .vsix, and Chromium; `shop` and
`live`, a private running copy of the example stack and an editor on it (one per test module that asks).

`scripts/build-extension` and `scripts/install-code-server` run first (both skip when up to date), so these tests
always exercise the .vsix a user would install. Screenshots go to tests/browser/artifacts/ (git-ignored).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import docker
from dockhand.runtime.compose_cli import ComposeCli
from tests.browser.workbench import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    CodeServer,
    Workbench,
    accepts,
    free_port,
    wait_until,
)
from tests.docker.conftest import EXAMPLES_DIR, ExamplesStack, running_examples_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def dockhand_vsix() -> Path:
    subprocess.run([str(ROOT / "scripts" / "build-extension")], check=True, capture_output=True)
    return ROOT / "extension" / "dockhand.vsix"


@pytest.fixture(scope="session")
def code_server_entry() -> Path:
    done = subprocess.run([str(ROOT / "scripts" / "install-code-server")], check=True, capture_output=True, text=True)
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def start_code_server(
    tmp_path_factory: pytest.TempPathFactory, code_server_entry: Path, dockhand_vsix: Path
) -> Iterator[Callable[..., CodeServer]]:
    """Start a code-server with Dockhand installed and these user settings; all are stopped at the end."""
    started: list[CodeServer] = []

    def start(settings: dict[str, Any], trust_prompt: bool = False) -> CodeServer:
        home = tmp_path_factory.mktemp("code-server")
        # Own telemetry store and OTLP port: never share another Dockhand's (a demo's or a parallel run's).
        settings = {"dockhand.telemetryDir": str(home / "telemetry"), "dockhand.otlpPort": free_port(), **settings}
        server = CodeServer.start(code_server_entry, dockhand_vsix, home, settings, trust_prompt)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: playwright's sync API marks an asyncio loop as running on this thread while it is open,
    # which would break every pytest-asyncio test that runs after it.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def shop(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient, compose_cli: ComposeCli
) -> Iterator[ExamplesStack]:
    """The example stack from a private copy, so this editor's compose file belongs to this stack only."""
    copy = tmp_path_factory.mktemp("shop") / "parcel-shop"
    shutil.copytree(EXAMPLES_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with running_examples_stack(docker_client, compose_cli, copy) as stack:
        yield stack


@pytest.fixture(scope="module")
def live(shop: ExamplesStack, start_code_server: Callable[[dict[str, Any]], CodeServer], page: Page) -> Workbench:
    # The stack sends its spans to host.docker.internal:<otlp_port>: that is where Dockhand's receiver listens.
    server = start_code_server({"dockhand.otlpPort": shop.otlp_port})
    workbench = Workbench(page, server, shop.directory).open()
    # Spans sent before Dockhand's receiver listens are dropped by the exporters: wait until it accepts.
    wait_until(lambda: accepts(shop.host_gateway_ip, shop.otlp_port), 60, "Dockhand's OTLP receiver on the bridge")
    workbench.open_file("compose.yaml")
    return workbench


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """A failed browser test leaves a picture of the window in tests/browser/artifacts/ (CI keeps the folder)."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and "page" in request.fixturenames:
        page: Page = request.getfixturevalue("page")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))

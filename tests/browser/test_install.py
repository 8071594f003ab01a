"""Installing Dockhand as a new user does: a fresh HOME, fresh user-data and extensions folders, nothing of ours on
the PATH but Debian's own python3 (which has no pygls, no dockhand), and the packaged .vsix installed with
`code-server --install-extension`. The server the .vsix brings must start on that python3 and answer a compose file
with live diagnostics and a hover; with no Python at all, one message says what to install."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.workbench import CodeServer, Workbench, free_port, wait_until

SYSTEM_PYTHON = Path("/usr/bin/python3")  # Debian's python3 package (scripts/setup installs it when missing)

COMPOSE_WITH_MISTAKES = """\
services:
  web:
    image: dockhand/busybox:local
    depends_on: [database]
    restart: sometimes
"""


def user_env(home: Path, path_dir: Path) -> dict[str, str]:
    """What a new user's VS Code starts with: their own HOME, and a PATH holding only `path_dir`."""
    return {"HOME": str(home), "PATH": str(path_dir), "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def new_user(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bool], tuple[Path, dict[str, str]]]:
    def make(with_python: bool) -> tuple[Path, dict[str, str]]:
        home = tmp_path_factory.mktemp("new-user")
        bin_dir = home / "bin"
        bin_dir.mkdir()
        if with_python:
            (bin_dir / "python3").symlink_to(SYSTEM_PYTHON)
        env = user_env(home / "home", bin_dir)
        Path(env["HOME"]).mkdir()
        return home, env

    return make


def new_user_settings() -> dict[str, object]:
    """What a new user's settings say of Dockhand: nothing (no interpreter, the bundled server), a free OTLP port."""
    return {"dockhand.server.python": None, "dockhand.server.importStrategy": None, "dockhand.otlpPort": free_port()}


def test_the_system_python_has_nothing_of_ours() -> None:
    """The premise of this module: a plain python3 >= 3.11 that cannot import the server's libraries."""
    version = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "True"
    for module in ("pygls", "dockhand", "lsprotocol"):
        probe = subprocess.run([str(SYSTEM_PYTHON), "-c", f"import {module}"], capture_output=True, text=True)
        assert probe.returncode != 0, f"{SYSTEM_PYTHON} can import {module}: it is not a plain system Python"


@pytest.fixture(scope="module")
def fresh_install(
    new_user: Callable[[bool], tuple[Path, dict[str, str]]],
    code_server_entry: Path,
    dockhand_vsix: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CodeServer, Path]]:
    home, env = new_user(True)
    server = CodeServer.start(code_server_entry, dockhand_vsix, home, new_user_settings(), env=env)
    folder = tmp_path_factory.mktemp("first-project")
    (folder / "compose.yaml").write_text(COMPOSE_WITH_MISTAKES)
    yield server, folder
    server.stop()


def test_a_fresh_install_diagnoses_and_hovers_with_the_bundled_server(
    fresh_install: tuple[CodeServer, Path], page: Page
) -> None:
    server, folder = fresh_install
    workbench = Workbench(page, server, folder).open()
    workbench.open_file("compose.yaml")
    problem = workbench.page.locator(".editor-instance .squiggly-error, .editor-instance .squiggly-warning").first
    expect(problem).to_be_attached(timeout=90_000)
    workbench.command("View: Focus Problems (Errors, Warnings, Infos)")
    markers = workbench.page.locator(".markers-panel")
    expect(markers).to_contain_text("database", timeout=15_000)
    expect(markers).to_contain_text("sometimes", timeout=15_000)
    workbench.open_file("compose.yaml")
    text = workbench.hover(workbench.token("web", line_containing="web:"), "busybox")
    assert "web" in text
    log = wait_until(lambda: (t := server.dockhand_log()) and "First diagnostics" in t and t, 30, "the log lines")
    assert re.search(
        r"Starting the Dockhand server with \S*/new-user\d+/bin/python3 \(Python 3\.\d+\.\d+, from the PATH\): "
        r"the server bundled with the extension",
        log,
    ), log
    # No C composer in the bundle (PyYAML's libyaml binding is, for this CPython): said once, at info level.
    assert log.count("YAML is read without C (dockhand.compose._fastcompose not available here)") == 1, log
    assert "[error]" not in log, log
    workbench.screenshot("fresh-install-diagnostics")


def test_without_python_the_views_say_what_to_install_once(
    new_user: Callable[[bool], tuple[Path, dict[str, str]]],
    code_server_entry: Path,
    dockhand_vsix: Path,
    tmp_path_factory: pytest.TempPathFactory,
    page: Page,
) -> None:
    home, env = new_user(False)
    server = CodeServer.start(code_server_entry, dockhand_vsix, home, new_user_settings(), env=env)
    try:
        folder = tmp_path_factory.mktemp("no-python-project")
        (folder / "compose.yaml").write_text(COMPOSE_WITH_MISTAKES)
        workbench = Workbench(page, server, folder).open()
        workbench.show_dockhand()
        expect(workbench.section("Services").locator(".message")).to_contain_text("Python 3.11", timeout=60_000)
        assert "dockhand.server.python" in workbench.tree_message("Services")
        expect(workbench.status_item()).to_contain_text("Dockhand")
        workbench.screenshot("no-python")
        page.wait_for_timeout(5_000)  # a retry loop would log the failure again meanwhile
        log = server.dockhand_log()
        assert log.count("needs Python 3.11 or newer") == 1, log
    finally:
        server.stop()

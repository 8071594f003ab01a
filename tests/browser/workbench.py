"""Drive real VS Code (code-server) in Debian's Chromium: start code-server with the packaged Dockhand, and the
few page actions the browser tests need (command palette, files, hovers, code lenses, the Dockhand trees)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import FrameLocator, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BASE_SETTINGS: dict[str, Any] = {
    "workbench.startupEditor": "none",
    "workbench.colorTheme": "Default Dark Modern",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "git.enabled": False,
    "editor.hover.delay": 200,
    "editor.minimap.enabled": False,
    "window.commandCenter": False,
    "remote.autoForwardPorts": False,  # no "your application on port … is available" toasts in the pictures
}


COMMAND_TIMEOUT_S = 60
"""How long `Workbench.command` keeps reopening a palette that a webview closed by taking the focus."""

SECTIONS = ("Services", "Traces", "Latency", "Resources")
"""The Dockhand side bar's sections, in order."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def accepts(host: str, port: int) -> bool:
    """Whether something listens at host:port (a TCP connection is accepted within a second)."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(check: Any, timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll `check()` until truthy; raise with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class CodeServer:
    """One running code-server with its own user data and extensions folders."""

    url: str
    home: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(
        cls,
        entry: Path,
        vsix: Path,
        home: Path,
        settings: dict[str, Any],
        trust_prompt: bool = False,
        env: dict[str, str] | None = None,
        install: bool = True,
    ) -> CodeServer:
        """`trust_prompt`: VS Code asks whether to trust the folder (else every folder is trusted). By default the
        server is this venv's dockhand (the sources under test, with the C fast path); a setting given as None is
        left unset, and `env` replaces the environment of code-server (and so of the extension and its server)."""
        extensions, user_data = home / "extensions", home / "user-data"
        dev_server = {"dockhand.server.python": sys.executable, "dockhand.server.importStrategy": "fromEnvironment"}
        all_settings = {**BASE_SETTINGS, **dev_server, **settings}
        all_settings = {key: value for key, value in all_settings.items() if value is not None}
        all_settings["security.workspace.trust.enabled"] = trust_prompt
        # code-server is VS Code's remote side: machine-scoped settings are read from Machine/, the rest from User/.
        for scope in ("User", "Machine"):
            (user_data / scope).mkdir(parents=True, exist_ok=True)
            (user_data / scope / "settings.json").write_text(json.dumps(all_settings, indent=2))
        node = [shutil.which("node") or "node", str(entry)]
        dirs = ["--extensions-dir", str(extensions), "--user-data-dir", str(user_data)]
        if install:  # False: a second start on the same folders (the extension is already there)
            installed = subprocess.run(
                [*node, "--install-extension", str(vsix), *dirs], capture_output=True, text=True, env=env
            )
            assert installed.returncode == 0 and "successfully installed" in installed.stdout, installed
        port = free_port()
        config = home / "config.yaml"  # our own, so code-server never writes ~/.config/code-server
        config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
        argv = [*node, "--config", str(config), "--disable-telemetry", "--disable-update-check"]
        argv += [*([] if trust_prompt else ["--disable-workspace-trust"]), "--disable-getting-started-override", *dirs]
        if env is not None:  # exactly this environment: VS Code reads no PATH from a login shell when VSCODE_CLI=1
            env = {**env, "VSCODE_CLI": "1"}
        log = (home / "code-server.log").open("wb")
        # Its own session, so the teardown can end code-server, its extension host and the Dockhand server at once.
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        server = cls(f"http://127.0.0.1:{port}", home, process)
        wait_until(server.answers, 60, "code-server to answer")
        return server

    def answers(self) -> bool:
        assert self.process.poll() is None, (self.home / "code-server.log").read_text()
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """End code-server and everything it started; keep the Dockhand log in artifacts/ for a post-mortem."""
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{self.home.name}-Dockhand.log").write_text(self.dockhand_log())
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def dockhand_log(self) -> str:
        """What the extension wrote to its `Dockhand` log channel (VS Code keeps each channel in a file)."""
        logs = sorted((self.home / "user-data" / "logs").glob("*/exthost*/dockhand.dockhand/Dockhand.log"))
        return "\n".join(p.read_text(errors="replace") for p in logs)


class Workbench:
    """A VS Code window in the browser, opened on one folder."""

    def __init__(self, page: Page, server: CodeServer, folder: Path) -> None:
        self.page = page
        self.server = server
        self.folder = folder

    def open(self) -> Workbench:
        self.page.goto(f"{self.server.url}/?folder={self.folder}")
        self.page.wait_for_selector(".monaco-workbench", timeout=90_000)
        expect(self.page.locator(".activitybar a[aria-label='Dockhand']")).to_be_visible(timeout=60_000)
        return self

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def command(self, title: str) -> None:
        """Run a command from the palette by its exact title.

        The palette closes when it loses focus, and a webview can take the focus back just after a layout change (the
        graph panel after "Close Primary Side Bar"): then the box is gone before it is filled, and the palette is
        opened again, until `COMMAND_TIMEOUT_S`."""
        box = self.page.locator(".quick-input-widget input")
        first = self.page.locator(".quick-input-list .monaco-list-row").first
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while True:
            self.page.keyboard.press("Escape")
            self.focus_workbench()
            self.page.keyboard.press("F1")
            try:
                expect(box).to_be_visible(timeout=10_000)
                box.fill(f">{title}", timeout=5_000)
                # Enter runs the top row: wait until the filtered list has put this command there.
                expect(first).to_contain_text(title, timeout=15_000)
                expect(box).to_be_visible(timeout=1_000)
                box.press("Enter", timeout=5_000)
                return
            except (AssertionError, PlaywrightTimeoutError):
                if time.monotonic() > deadline:
                    raise

    def focus_workbench(self) -> None:
        """Take the keyboard focus out of a webview's iframe (its keys reach the workbench only once it has loaded)."""
        self.page.evaluate("() => { const e = document.activeElement; if (e?.tagName === 'IFRAME') e.blur(); }")

    def row_action(self, row: Locator, label: str, timeout: float = 30) -> None:
        """Click the inline action `label` of a tree row. The actions show only while the row is hovered, and a
        tree refresh (rows carry live figures) re-renders the row under the mouse: hover again until the click lands."""
        action = row.locator(f".action-label[aria-label='{label}']")
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.page.mouse.move(0, 0)
                row.scroll_into_view_if_needed(timeout=5_000)
                row.hover(timeout=5_000)
                expect(action).to_be_visible(timeout=3_000)
                action.click(timeout=3_000)
                return
            except (AssertionError, PlaywrightTimeoutError):
                if time.monotonic() > deadline:
                    raise

    def open_file(self, name: str) -> Locator:
        """Open a file of the folder through Quick Open; return the editor."""
        self.page.keyboard.press("Escape")
        tab = self.page.locator(".tabs-container .tab", has_text=name)
        if tab.count():
            tab.first.click()
        else:
            self.page.keyboard.press("Control+p")
            box = self.page.locator(".quick-input-widget input")
            expect(box).to_be_visible(timeout=10_000)
            box.fill(name)
            expect(self.page.locator(".quick-input-list .monaco-list-row").first).to_contain_text(name, timeout=15_000)
            box.press("Enter")
        editor = self.page.locator(".editor-instance .monaco-editor").first
        expect(self.page.locator(".tab.active", has_text=name)).to_be_visible(timeout=15_000)
        return editor

    def goto_line(self, number: int) -> None:
        """Put the cursor on a line of the active editor (it scrolls into view)."""
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Control+g")
        box = self.page.locator(".quick-input-widget input")
        expect(box).to_be_visible(timeout=10_000)
        box.fill(f":{number}")  # Go to Line is Quick Open in ":" mode
        box.press("Enter")

    def line(self, pattern: str | re.Pattern[str]) -> Locator:
        """The first rendered line of the active editor whose text matches."""
        return self.page.locator(".editor-instance .view-lines .view-line").filter(has_text=pattern).first

    def token(self, text: str, line_containing: str | re.Pattern[str] | None = None) -> Locator:
        """The rendered editor token with exactly `text` (on the first line matching `line_containing`)."""
        line = self.line(line_containing) if line_containing else self.page.locator(".editor-instance .view-line").first
        return line.locator("span span", has_text=re.compile(rf"^{re.escape(text)}$")).first

    def lens_above(self, line: Locator, text: str, timeout: float = 60) -> Locator:
        """The code lens link `text` shown just above `line`, once the server has sent it (lenses are widgets
        positioned over the lines, so "above" is the closest one higher up on the screen)."""

        def find() -> Locator | None:
            line_box = line.bounding_box()
            decorations = self.page.locator(".contentWidgets .codelens-decoration")
            best, best_y = None, float("-inf")
            for i in range(decorations.count()):
                box = decorations.nth(i).bounding_box()
                if line_box and box and best_y < box["y"] < line_box["y"]:
                    best, best_y = decorations.nth(i), box["y"]
            link = best.locator("a", has_text=text) if best is not None else None
            return link if link is not None and link.count() else None

        found: Locator = wait_until(find, timeout, f"a code lens {text!r} above the line")
        return found

    def webview(self) -> FrameLocator:
        """The content of the active webview panel (VS Code nests it in two iframes)."""
        return self.page.frame_locator("iframe.webview.ready").frame_locator("#active-frame")

    def hover(self, target: Locator, expect_text: str | re.Pattern[str], timeout: float = 30_000) -> str:
        """Hover `target` until the hover widget shows `expect_text`; return the hover's text."""
        hover = self.page.locator(".monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden)").first
        deadline = time.monotonic() + timeout / 1000
        while True:
            self.page.mouse.move(0, 0)
            target.hover()
            try:
                expect(hover).to_contain_text(expect_text, timeout=3_000)
                return hover.inner_text()
            except AssertionError as error:
                if time.monotonic() > deadline:
                    shown = self.page.locator(".monaco-hover").evaluate_all(
                        "els => els.map(e => e.className + ': ' + e.innerText.slice(0, 400))"
                    )
                    raise AssertionError(f"hover widgets: {shown}") from error

    def code_lens(self, text: str) -> Locator:
        return self.page.locator(".contentWidgets .codelens-decoration a", has_text=text)

    def show_dockhand(self) -> None:
        """Open the Dockhand side bar (clicking its icon again would close it)."""
        services = self.section("Services")
        if not services.is_visible():
            self.page.locator(".activitybar a[aria-label='Dockhand']").click()
        expect(services).to_be_visible(timeout=15_000)
        for name in SECTIONS:  # a picture may have folded some
            header = self.section(name).locator(".pane-header")
            if header.get_attribute("aria-expanded") == "false":
                header.click()
        self.dismiss_popups()

    def dismiss_popups(self) -> None:
        """Close tooltips and hovers a previous step left open: a stale tree tooltip swallows the next click."""
        self.page.mouse.move(0, 0)
        self.page.keyboard.press("Escape")
        expect(self.page.locator(".context-view .monaco-hover, .workbench-hover")).to_have_count(0, timeout=5_000)

    def section(self, name: str) -> Locator:
        title = self.page.locator(".pane-header .title", has_text=re.compile(rf"^{re.escape(name)}$", re.IGNORECASE))
        return self.page.locator(".pane").filter(has=title)

    def tree_rows(self, name: str) -> list[str]:
        """Accessible labels of the visible rows of a Dockhand tree (label and description)."""
        rows = self.section(name).locator(".monaco-list-row")
        return [str(label) for label in rows.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")]

    def tree_message(self, name: str) -> str:
        message = self.section(name).locator(".message")
        return message.inner_text() if message.count() else ""

    def only_section(self, keep: str) -> None:
        """Fold every Dockhand section but `keep`, so that all its rows fit (four open sections share the side bar's
        height: the last rows of one are scrolled out of its pane, and a row out of view cannot be hovered)."""
        for name in SECTIONS:
            header = self.section(name).locator(".pane-header")
            if (header.get_attribute("aria-expanded") == "true") != (name == keep):
                header.click()
        expect(self.section(keep).locator(".pane-header")).to_have_attribute("aria-expanded", "true")

    def stage_sidebar(self, keep: str, width: int = 720) -> None:
        """For a picture: only the `keep` section open, the bottom panel hidden, the side bar `width` px wide."""
        self.only_section(keep)
        if self.page.locator(".part.panel").is_visible():
            self.page.keyboard.press("Control+j")
        sidebar = self.page.locator(".part.sidebar").bounding_box()
        if sidebar:
            edge_x, middle_y = sidebar["x"] + sidebar["width"], sidebar["y"] + sidebar["height"] / 2
            self.page.mouse.move(edge_x - 1, middle_y)
            self.page.mouse.down()
            self.page.mouse.move(sidebar["x"] + width, middle_y, steps=8)
            self.page.mouse.up()
            self.page.mouse.move(sidebar["x"] + width + 300, sidebar["y"] + sidebar["height"] - 40)

    def status_item(self) -> Locator:
        return self.page.locator(".statusbar-item[id$='dockhand.status']")

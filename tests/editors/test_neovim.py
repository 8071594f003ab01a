"""A second, independent editor: Neovim 0.7's built-in LSP client, headless, against the real Dockhand server.

Neovim runs nvim/dockhand_client.lua, which attaches Dockhand to a compose file, gathers what a user would see
(log lines, diagnostics, hover, code lenses) within a bounded wait and writes it to a JSON file read here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

LUA_CLIENT = Path(__file__).parent / "nvim" / "dockhand_client.lua"
SERVER = [sys.executable, "-m", "dockhand"]


@dataclass
class NeovimSession:
    """What one headless Neovim run saw."""

    report: dict[str, Any]
    stderr: str

    @property
    def diagnostics(self) -> list[dict[str, Any]]:
        return list(self.report.get("diagnostics") or [])


@dataclass
class Neovim:
    """Runs headless Neovim with Dockhand attached to one file; every run is bounded."""

    binary: str
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def open(
        self,
        file: Path,
        *,
        init_options: dict[str, Any] | None = None,
        hover: tuple[int, int] | None = None,
        wait_diagnostics: bool = False,
        expect_diagnostic: str = "",
        expect_hover: str = "",
        expect_lens: str = "",
        budget_s: float = 30,
    ) -> NeovimSession:
        out = self.home / f"report-{file.stem}.json"
        env = {
            **os.environ,
            **{f"XDG_{kind}_HOME": str(self.home / kind.lower()) for kind in ("CONFIG", "DATA", "STATE", "CACHE")},
            "DOCKHAND_NVIM_CMD": json.dumps(SERVER),
            "DOCKHAND_NVIM_OUT": str(out),
            "DOCKHAND_NVIM_ROOT": str(file.parent),
            "DOCKHAND_NVIM_INIT_OPTIONS": json.dumps({"trusted": True, **(init_options or {})}),
            "DOCKHAND_NVIM_HOVER": json.dumps({"line": hover[0], "character": hover[1]}) if hover else "",
            "DOCKHAND_NVIM_WAIT_DIAGNOSTICS": "1" if wait_diagnostics else "0",
            "DOCKHAND_NVIM_EXPECT_DIAGNOSTIC": expect_diagnostic,
            "DOCKHAND_NVIM_EXPECT_HOVER": expect_hover,
            "DOCKHAND_NVIM_EXPECT_LENS": expect_lens,
            "DOCKHAND_NVIM_WAIT_MS": str(int(budget_s * 1000)),
            **self.env,
        }
        argv = [self.binary, "--headless", "--clean", "-n", "-i", "NONE", "-c", f"luafile {LUA_CLIENT}", str(file)]
        proc = subprocess.run(
            argv, env=env, cwd=file.parent, capture_output=True, text=True, timeout=budget_s + 30, check=False
        )
        assert out.exists(), f"Neovim wrote no report (exit {proc.returncode}): {proc.stderr[-2000:]}"
        report = json.loads(out.read_text())
        assert report["errors"] == [], report["errors"]
        return NeovimSession(report, proc.stderr)


@pytest.fixture(scope="session")
def neovim_binary() -> str:
    binary = shutil.which("nvim")
    if binary is None:
        pytest.fail("Neovim is not installed: run scripts/setup (it installs Debian's `neovim`).", pytrace=False)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("NVIM v0."), version
    return binary


@pytest.fixture
def neovim(neovim_binary: str, tmp_path: Path) -> Neovim:
    home = tmp_path / "nvim-home"
    home.mkdir()
    return Neovim(neovim_binary, home)


def test_neovim_attaches_and_the_server_reports_ready(neovim: Neovim, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    compose = project / "compose.yaml"
    compose.write_text("services:\n  web:\n    image: dockhand/busybox:local\n")
    session = neovim.open(compose, budget_s=20)
    report = session.report
    assert report["attached"] is True
    assert report["server_info"]["name"] == "dockhand"
    assert any("Dockhand" in line and "ready" in line for line in report["logs"]), report["logs"]
    assert report["exit"]["code"] == 0  # the client's stop() is a clean shutdown/exit


def test_neovim_gets_static_diagnostics_on_the_right_line(neovim: Neovim, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    compose = project / "compose.yaml"
    compose.write_text(
        "services:\n  web:\n    image: dockhand/busybox:local\n    depends_on: [nope]\n  db:\n    image: x\n"
    )
    session = neovim.open(compose, wait_diagnostics=True, expect_diagnostic="nope", budget_s=30)
    found = [d for d in session.diagnostics if "`nope`" in d["message"]]
    assert len(found) == 1, session.diagnostics
    assert found[0]["range"]["start"]["line"] == 3
    assert "not defined" in found[0]["message"]


@pytest.fixture(scope="module")
def examples_copy(tmp_path_factory: pytest.TempPathFactory, docker_client: Any, compose_cli: Any) -> Any:
    """The parcel-shop example up and healthy from a private copy (so only this editor's project matches it)."""
    from tests.docker.conftest import EXAMPLES_DIR, running_examples_stack

    copy = tmp_path_factory.mktemp("nvim-examples") / "parcel-shop"
    shutil.copytree(EXAMPLES_DIR, copy)
    with running_examples_stack(docker_client, compose_cli, copy) as stack:
        yield stack


def test_neovim_on_the_running_examples_gets_a_live_hover_and_state_lenses(neovim: Neovim, examples_copy: Any) -> None:
    compose = Path(examples_copy.compose_file)
    lines = compose.read_text().splitlines()
    gateway = lines.index("  gateway:")
    session = neovim.open(
        compose,
        hover=(gateway, 3),
        wait_diagnostics=True,
        expect_hover="healthy",
        expect_lens="● healthy",
        budget_s=60,
    )
    report = session.report
    assert report["diagnostics_received"] is True
    hover = json.dumps(report["hover"])
    assert "gateway" in hover and "healthy" in hover, hover[:500]
    port = examples_copy.urls["gateway"].rsplit(":", 1)[1]
    assert port in hover  # the published URL of the live container
    titles = {
        (lens["range"]["start"]["line"], lens["command"]["title"])
        for lens in report["code_lenses"] or []
        if lens.get("command")
    }
    assert (gateway, "● healthy") in titles, sorted(titles)
    assert (gateway, "↻ Restart") in titles
    assert report["exit"]["code"] == 0

"""Runs the real `dockhand check` command line as a subprocess (what CI runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "compose"
NO_COMPOSE = "/nonexistent/docker-compose"
"""A Compose binary that does not exist: `--compose`'s default (on when Compose is found) turns off."""


def check(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DOCKHAND_COMPOSE_BINARY": NO_COMPOSE, **(env or {})}
    environ.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "dockhand", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )

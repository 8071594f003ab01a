"""LifecycleRunner with real processes: one action at a time per project, projects side by side, lines streamed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from dockhand.runtime.lifecycle import LifecycleRunner

SH = shutil.which("sh") or "/bin/sh"


def step(name: str) -> list[str]:
    return [SH, "-c", 'echo "start $0"; sleep 0.3; echo "end $0" >&2; exit 3', name]


async def test_actions_on_one_project_wait_for_each_other() -> None:
    runner = LifecycleRunner()
    lines: list[str] = []
    codes = await asyncio.gather(
        runner.run(step("a"), "shop", None, lines.append),
        runner.run(step("b"), "shop", None, lines.append),
    )
    assert codes == [3, 3]  # the real exit code, stderr folded into the stream
    assert lines in (["start a", "end a", "start b", "end b"], ["start b", "end b", "start a", "end a"])


def meet(name: str, other: str, folder: Path) -> list[str]:
    """Leave a mark, then wait (up to 10 s) for the other's mark: only runs that overlap can meet."""
    script = 'touch "$2/$0"; i=0; while [ ! -e "$2/$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; '
    script += '[ -e "$2/$1" ] && echo "$0 met $1" || echo "$0 alone"'
    return [SH, "-c", script, name, other, str(folder)]


async def test_different_projects_run_side_by_side(tmp_path: Path) -> None:
    runner = LifecycleRunner()
    lines: list[str] = []
    await asyncio.gather(
        runner.run(meet("a", "b", tmp_path), "shop", None, lines.append),
        runner.run(meet("b", "a", tmp_path), "billing", None, lines.append),
    )
    assert sorted(lines) == ["a met b", "b met a"]

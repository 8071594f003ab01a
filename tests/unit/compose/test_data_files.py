"""The dozen valid stacks give no diagnostics and Compose accepts them; each invalid case gives exactly its codes.

`docker compose config` here is the real Compose v2 binary (no engine needed for `config`), so this also proves
the two never disagree on these files: every file Compose rejects gets at least one error from the static rules.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockhand.compose.loader import DiskSource, load_project, load_project_from_disk
from dockhand.compose.rules import check_project
from dockhand.runtime.compose_cli import ComposeCli

DATA = Path(__file__).parents[2] / "data" / "compose"
VALID = sorted(p for p in (DATA / "valid").iterdir() if p.is_dir())
INVALID = sorted((DATA / "invalid").glob("*.yaml"))
CLEAN_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}


def compose_accepts(cli: ComposeCli, args: list[str], cwd: Path) -> tuple[bool, str]:
    import subprocess

    proc = subprocess.run(
        cli.argv(*args, "config", "--quiet"), cwd=cwd, capture_output=True, text=True, env=CLEAN_ENV, timeout=60
    )
    return proc.returncode == 0, proc.stderr


def test_there_are_a_dozen_valid_stacks() -> None:
    assert len(VALID) >= 12


@pytest.mark.parametrize("folder", VALID, ids=[p.name for p in VALID])
def test_valid_stack_has_no_diagnostics_and_compose_accepts_it(folder: Path, compose_cli: ComposeCli) -> None:
    project = load_project_from_disk(folder, environ=CLEAN_ENV)
    assert project.services, "the loader found no services"
    problems = check_project(project)
    assert problems == [], "\n".join(f"{p.code} {p.uri}:{p.span.start_line}: {p.message}" for p in problems)
    accepted, stderr = compose_accepts(compose_cli, [], folder)
    assert accepted, stderr


def expectations(path: Path) -> tuple[list[tuple[str, int]], bool]:
    expect_line, rejects_line = path.read_text().splitlines()[:2]
    expected = [(e.split("@")[0], int(e.split("@")[1])) for e in expect_line.split(":", 1)[1].split()]
    return sorted(expected), rejects_line.split(":", 1)[1].strip() == "yes"


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_case_reports_its_codes_on_their_lines(path: Path, compose_cli: ComposeCli) -> None:
    expected, compose_rejects = expectations(path)
    project = load_project([path], source=DiskSource(), environ=CLEAN_ENV, project_directory=path.parent)
    problems = check_project(project)
    assert sorted((p.code, p.span.start_line) for p in problems) == expected
    assert all(p.message.rstrip().endswith((".", "?", ")")) for p in problems)
    accepted, stderr = compose_accepts(compose_cli, ["-f", str(path)], path.parent)
    assert accepted is not compose_rejects, stderr
    if compose_rejects:
        assert any(p.severity == "error" for p in problems)
    else:  # what Compose accepts gets no error (a missing Dockerfile only fails at build time: a warning)
        assert not [p for p in problems if p.severity == "error"]

"""The CI integrations we ship call the CLI the way it works: the pre-commit hook runs as pre-commit would run it
(its entry plus the staged file names), and every `dockhand check` line of the example workflow parses."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from dockhand.check.cli import build_parser
from tests.check.cli import REPO


def test_the_pre_commit_hook_checks_the_files_it_matches() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "dockhand-check"
    pattern = re.compile(hook["files"])
    staged = ["tests/data/compose/invalid/no-image.yaml", "deploy/docker-compose.prod.yml", "compose.yaml"]
    assert [bool(pattern.search(p)) for p in staged] == [False, True, True]
    argv = shlex.split(hook["entry"])
    script = Path(sys.executable).parent / argv[0]
    result = subprocess.run(
        [
            str(script),
            *argv[1:],
            "--no-compose",
            "tests/data/compose/valid/long-syntax/compose.yaml",
            "tests/data/compose/invalid/no-image.yaml",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, "a finding must block the commit"
    assert "no-image.yaml:4:3: error:" in result.stdout


def test_the_example_workflow_uploads_sarif_and_its_commands_parse() -> None:
    workflow = yaml.safe_load((REPO / "examples" / "ci" / "dockhand-check.yml").read_text())
    steps = workflow["jobs"]["compose"]["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "dockhand.sarif"
    commands = [s["run"].split("||")[0] for s in steps if str(s.get("run", "")).startswith("dockhand check")]
    assert len(commands) == 2
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[2:])
        assert args.paths == [Path(".")]
    assert build_parser().parse_args(shlex.split(commands[0])[2:]).output == Path("dockhand.sarif")

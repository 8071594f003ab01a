"""Agreement of `dockhand check` with Compose itself: every compose project under DIR… is given to the real Compose
v2 binary (`config --quiet`, the oracle) and to check's own rules (no Compose), and the figures are printed.

    .venv/bin/python bench/conformance.py DIR… [--json OUT] [--show N]

- accepted by Compose: how many got an error from check (a false error; the goal is none);
- rejected by Compose: how many check also rejects from its own rules (its error, not Compose's, is the finding).
Each project is resolved as check resolves it (a file with its override / COMPOSE_FILE set, or alone) and Compose
gets the same files (`-f` each, `--project-directory` its folder). Compose's fixtures are used in place: this
script never copies them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from dockhand.compose.files import compose_files_in
from dockhand.compose.loader import DiskSource, load_project, project_files_for
from dockhand.compose.rules import check_project
from dockhand.runtime.compose_cli import find_compose


@dataclass
class Case:
    files: list[str]
    compose_ok: bool
    compose_message: str
    errors: list[str]
    """check's error findings as `code: message`."""


def _environment() -> dict[str, str]:
    """The caller's environment without Compose's own variables (they would change which files are read)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}


def _real_binary() -> list[str]:
    cli = find_compose(os.environ.get("DOCKHAND_COMPOSE_BINARY", ""))
    return list(cli.prefix)


def _oracle(binary: list[str], directory: Path, files: list[Path], env: dict[str, str]) -> tuple[bool, str]:
    argv = [*binary, "--project-directory", str(directory), "-p", "conformance"]
    for f in files:
        argv += ["-f", str(f)]
    try:
        proc = subprocess.run(
            [*argv, "config", "--quiet"], cwd=directory, capture_output=True, text=True, timeout=30, env=env
        )
    except subprocess.TimeoutExpired:
        return False, "timeout"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "level=warning" not in ln]
    return proc.returncode == 0, (lines[-1] if lines else "")


def _cases(dirs: list[Path], env: dict[str, str]) -> list[tuple[Path, list[Path]]]:
    source = DiskSource(encoding="utf-32")
    seen: set[tuple[Path, ...]] = set()
    out = []
    for root in dirs:
        for path in compose_files_in(root):
            directory, files = project_files_for(path.absolute(), env, source)
            if tuple(files) not in seen and files:
                seen.add(tuple(files))
                out.append((directory, files))
    return out


def run(dirs: list[Path]) -> list[Case]:
    env = _environment()
    binary = _real_binary()
    cases = _cases(dirs, env)
    with ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2))) as pool:
        verdicts = list(pool.map(lambda c: _oracle(binary, c[0], c[1], env), cases))
    out = []
    for (directory, files), (ok, message) in zip(cases, verdicts, strict=True):
        project = load_project(files, source=DiskSource(encoding="utf-32"), environ=env, project_directory=directory)
        errors = [f"{p.code}: {p.message}" for p in check_project(project) if p.severity == "error"]
        out.append(Case([str(f) for f in files], ok, message, errors))
    return out


def _short(files: list[str], roots: list[Path]) -> str:
    first = Path(files[0])
    for root in roots:
        if first.is_relative_to(root.absolute()):
            return str(first.relative_to(root.absolute())) + (f" (+{len(files) - 1})" if len(files) > 1 else "")
    return files[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="write every case here")
    parser.add_argument("--show", type=int, default=15, help="list at most this many disagreements of each kind")
    args = parser.parse_args()
    cases = run(args.dirs)
    accepted = [c for c in cases if c.compose_ok]
    rejected = [c for c in cases if not c.compose_ok]
    false_errors = [c for c in accepted if c.errors]
    caught = [c for c in rejected if c.errors]
    print(f"projects: {len(cases)} (Compose accepts {len(accepted)}, rejects {len(rejected)})")
    print(f"accepted by Compose, no error from check: {len(accepted) - len(false_errors)}/{len(accepted)}")
    print(f"rejected by Compose, rejected by check's own rules: {len(caught)}/{len(rejected)}")
    if false_errors:
        print("\nfalse errors (Compose accepts):")
        for c in false_errors[: args.show]:
            print(f"  {_short(c.files, args.dirs)}: {c.errors[0][:160]}")
    missed = [c for c in rejected if not c.errors]
    if missed:
        print("\nmissed (Compose rejects, check finds no error):")
        for c in missed[: args.show]:
            print(f"  {_short(c.files, args.dirs)}: {c.compose_message[:160]}")
    if args.json:
        args.json.write_text(json.dumps([asdict(c) for c in cases], indent=1))


if __name__ == "__main__":
    sys.exit(main())

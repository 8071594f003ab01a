"""Compose's own verdict for `dockhand check --compose`: `docker compose config --quiet` on the saved files, mapped
to spans as in the editor, and run as the editor runs it (only when the static rules found no error: Compose stops
at its first error, which the rules already show); and, for `--live`, the project as Compose resolves it (its
services' config hashes say which containers are older than the file). The one home of `check`'s use of Compose."""

from __future__ import annotations

import os
from collections.abc import Sequence

from dockhand.check.collect import uri_path
from dockhand.compose.document import Problem
from dockhand.compose.model import ComposeProject
from dockhand.compose.nodes import ZERO_SPAN
from dockhand.compose.truth import map_compose_error
from dockhand.errors import DiagnosticError
from dockhand.runtime.compose_cli import ComposeCli, find_compose, run_compose
from dockhand.runtime.discovery import env_files, resolve, service_extensions
from dockhand.runtime.state import ProjectInfo


def find_compose_cli(binary: str = "") -> ComposeCli | None:
    """The Compose v2 binary, or None when there is none."""
    try:
        return find_compose(binary)
    except DiagnosticError:
        return None


def compose_verdict(
    cli: ComposeCli, project: ComposeProject, static: Sequence[Problem], timeout_s: float
) -> list[Problem]:
    """Compose's findings for the project (code compose-config); none when the static rules found an error."""
    if any(p.severity == "error" for p in static) or not project.files:
        return []
    args = ["--project-directory", str(project.directory), "-p", project.name or "dockhand"]
    for uri in project.files:
        args += ["-f", str(uri_path(uri))]
    try:
        run_compose(cli, [*args, "config", "--quiet"], cwd=project.directory, timeout=timeout_s, env=dict(os.environ))
    except DiagnosticError as err:
        if err.code == "compose-timeout":
            return [
                Problem("compose-config", f"{err.message}. {err.remediation}", project.files[0], ZERO_SPAN, "warning")
            ]
        return map_compose_error(project, err.message)
    return []


def resolved_project(cli: ComposeCli, project: ComposeProject, name: str, timeout_s: float) -> ProjectInfo | None:
    """The project named `name` as Compose resolves its files (`config --format json` and `config --hash '*'`, as the
    editor's project watcher runs them); None when Compose cannot read them (the rules and --compose say why)."""
    files = tuple(str(uri_path(uri)) for uri in project.files)
    args = ["--project-directory", str(project.directory), "-p", name, *(arg for f in files for arg in ("-f", f))]
    try:
        as_json = run_compose(cli, [*args, "config", "--format", "json"], cwd=project.directory, timeout=timeout_s)
        hashes = run_compose(cli, [*args, "config", "--hash", "*"], cwd=project.directory, timeout=timeout_s)
        guess = ProjectInfo(name, str(project.directory), files)
        return resolve(guess, as_json.stdout, hashes.stdout, service_extensions(files), env_files(files))
    except (DiagnosticError, ValueError, AttributeError, TypeError):
        return None

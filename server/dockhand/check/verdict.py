"""Compose's own verdict for `dockhand check --compose`: `docker compose config --quiet` on the saved files, mapped
to spans as in the editor, and run as the editor runs it (only when the static rules found no error: Compose stops
at its first error, which the rules already show). The one home of `check`'s use of Compose."""

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

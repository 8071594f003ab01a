"""PATHS → the compose projects to check (resolved as the editor resolves them) → findings with 1-based positions.

A file means its project (the file set `docker compose` run in its folder would read: COMPOSE_FILE, the default
file plus its override, or the file alone). A folder means every compose project below it: each compose file not
already read as a member (override, `include`, `extends.file`) of a project found before it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockhand.compose.document import Problem
from dockhand.compose.files import compose_files_in
from dockhand.compose.loader import DiskSource, load_project, path_uri, project_files_for
from dockhand.compose.model import ComposeProject
from dockhand.compose.rules import check_project
from dockhand.compose.uris import to_fs_path

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1, "hint": 0}


@dataclass(frozen=True)
class Related:
    path: Path
    line: int
    column: int
    note: str


@dataclass(frozen=True)
class Finding:
    """One finding, positions 1-based in Unicode code points; `end_column` is exclusive."""

    rule: str
    severity: str
    message: str
    path: Path
    line: int
    column: int
    end_line: int
    end_column: int
    source_line: str = ""
    related: tuple[Related, ...] = ()


@dataclass
class CheckRun:
    """What one `dockhand check` looked at and found."""

    files: list[Path]
    projects: list[ComposeProject]
    findings: list[Finding]


def uri_path(uri: str) -> Path:
    """The file system path of a file URI (other URIs are returned as they are)."""
    return Path(to_fs_path(uri) or uri)


def load_projects(paths: Sequence[Path], environ: Mapping[str, str]) -> list[ComposeProject]:
    """The projects of files and folders, each once, in the order given."""
    source = DiskSource(encoding="utf-32")  # code-point columns: what SARIF and terminals count by default
    projects: list[ComposeProject] = []
    members: set[str] = set()
    keys: set[tuple[Path, ...]] = set()
    for path in paths:
        candidates = compose_files_in(path) if path.is_dir() else [path]
        for candidate in candidates:
            candidate = candidate.absolute()
            if path.is_dir() and path_uri(candidate) in members:
                continue
            directory, files = project_files_for(candidate, environ, source)
            if tuple(files) in keys:
                continue
            keys.add(tuple(files))
            project = load_project(files, source=source, environ=environ, project_directory=directory)
            members.update(project.documents)
            projects.append(project)
    return projects


def findings_of(project: ComposeProject, problems: Iterable[Problem]) -> list[Finding]:
    return [_finding(project, p) for p in problems]


def _finding(project: ComposeProject, problem: Problem) -> Finding:
    doc = project.documents.get(problem.uri)
    span = problem.span
    lines = doc.lines.lines if doc is not None else []
    text = lines[span.start_line] if span.start_line < len(lines) else ""
    related = tuple(
        Related(uri_path(uri), s.start_line + 1, s.start_char + 1, note) for uri, s, note in problem.related
    )
    return Finding(
        problem.code,
        problem.severity,
        problem.message,
        uri_path(problem.uri),
        span.start_line + 1,
        span.start_char + 1,
        span.end_line + 1,
        span.end_char + 1,
        text.rstrip("\r"),
        related,
    )


def run_check(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] | None = None,
    extra: Callable[[ComposeProject, list[Problem]], list[Problem]] | None = None,
) -> CheckRun:
    """Load and check every project; `extra(project, static problems)` adds findings from other sources (Compose's
    verdict, the running stack)."""
    env = dict(os.environ if environ is None else environ)
    projects = load_projects(paths, env)
    findings: list[Finding] = []
    seen: set[tuple[str, Path, int, int, str]] = set()
    files: dict[Path, None] = {}
    for project in projects:
        files.update((uri_path(uri), None) for uri in project.documents)
        problems = check_project(project)
        if extra is not None:
            problems = problems + extra(project, problems)
        for finding in findings_of(project, problems):
            key = (finding.rule, finding.path, finding.line, finding.column, finding.message)
            if key not in seen:  # a file read by two projects (an included file) reports once
                seen.add(key)
                findings.append(finding)
    findings.sort(key=lambda f: (str(f.path), f.line, f.column, f.rule))
    return CheckRun(list(files), projects, findings)

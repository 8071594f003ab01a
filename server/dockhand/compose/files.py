"""The compose files below a folder, for `dockhand check` (which documents are compose files is
`index.is_compose_document`, the editor's own test)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from dockhand.compose.index import is_compose_document

SKIPPED_DIRS = {"node_modules", "venv", "__pycache__", "dist", "build", "target"}
_DEFAULT_NAME = re.compile(r"(docker-)?compose\.ya?ml")


def compose_files_in(folder: Path) -> Iterator[Path]:
    """The compose files below `folder` (hidden and dependency folders skipped), in a stable order: per folder the
    default file names first, so that their projects claim overrides and included files before those are seen alone."""
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        candidates = sorted((n for n in files if n.endswith((".yml", ".yaml"))), key=_default_first)
        for name in candidates:
            path = Path(current) / name
            if is_compose_document(path.as_posix(), _head(path)):
                yield path


def _default_first(name: str) -> tuple[int, str]:
    return (0 if _DEFAULT_NAME.fullmatch(name) else 1, name)


def _head(path: Path) -> str:
    """The file's first 200 kB (what the `services:` test looks at); empty when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return handle.read(200_000).decode("utf-8", "replace")
    except OSError:
        return ""

"""The server's project index: open documents overlaid on disk, immutable project snapshots, change listeners.

Contract (stable; `server.projects` is a ProjectIndex):
- Request handlers only *read*: `for_uri(uri)` → ComposeProject | None, `snapshot_for(uri)` → ProjectSnapshot |
  None (project + static problems by uri + document versions), `document(uri)` → ParsedDocument | None (the
  latest parse of an open document, even when its project has not been rebuilt yet), `snapshots()`.
  `is_open(uri)`. These are dict look-ups: no I/O and no parsing (`document` parses once per version, lazily).
- Writers (the diagnostics feature, discovery): `open/change/close(uri, …)` record editor text;
  `rebuild(uri)` re-resolves every project the file belongs to (reads disk) and returns the new snapshots;
  `load_path(path)` loads a project from disk and registers it (for discovery of projects not open);
  `warm(path)` analyses one from disk without registering it, so that opening its files later is cheap;
  `affected_by(uri)` names the projects to rebuild when a file changes on disk.
- `listeners`: callables `(ProjectSnapshot) -> None` run after a project's snapshot changes (live stack hook).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockhand.compose.document import ParsedDocument, Problem, paused_gc
from dockhand.compose.incremental import reparse
from dockhand.compose.loader import DiskSource, load_project, path_uri, project_files_for
from dockhand.compose.model import ComposeProject
from dockhand.compose.rules import check_project
from dockhand.compose.uris import from_fs_path, to_fs_path

logger = logging.getLogger("dockhand.compose.index")

ProjectKey = tuple[str, ...]


@dataclass(frozen=True)
class ProjectSnapshot:
    """One resolved project and its static findings, frozen at the document versions it was built from."""

    key: ProjectKey
    project: ComposeProject
    problems: Mapping[str, tuple[Problem, ...]]
    versions: Mapping[str, int | None] = field(default_factory=dict)


_COMPOSE_NAME = re.compile(r"(^|/)(docker-)?compose[\w.\-]*\.ya?ml$")


def is_compose_document(uri: str, text: str) -> bool:
    """A compose file by name, or any YAML whose top level has `services:` (stacks named e.g. `stack.yml`)."""
    if _COMPOSE_NAME.search(uri):
        return True
    return uri.endswith((".yml", ".yaml")) and re.search(r"(?m)^services:", text[:200_000]) is not None


def canonical_uri(uri: str) -> str:
    """The URI every model object uses for a file (clients may percent-encode differently)."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return str(from_fs_path(path)) if path else uri


@dataclass
class _OpenDocument:
    text: str
    version: int | None
    parsed: ParsedDocument | None = None
    previous: ParsedDocument | None = None
    """The latest parse of an earlier text: an edit inside one service re-parses only that service."""


class _OverlaySource(DiskSource):
    """Disk, except that open documents come from the editor (unsaved text wins)."""

    def __init__(self, index: ProjectIndex) -> None:
        super().__init__(index.encoding(), index.max_bytes())
        self.index = index
        # Share the parse cache across rebuilds: an unchanged file on disk (mtime, size) is parsed once.
        if (index._disk.encoding, index._disk.max_bytes) != (self.encoding, self.max_bytes):
            index._disk = DiskSource(self.encoding, self.max_bytes)
        self._cache = index._disk._cache

    def document(self, path: Path) -> ParsedDocument | None:
        uri = path_uri(path)
        if uri in self.index._open:
            return self.index.document(uri)
        return super().document(path)

    def exists(self, path: Path) -> bool:
        return path_uri(path) in self.index._open or super().exists(path)


class ProjectIndex:
    """Holds open documents and the latest snapshot of every known project."""

    def __init__(
        self,
        *,
        encoding: Callable[[], str] = lambda: "utf-16",
        max_bytes: Callable[[], int] = lambda: 5_000_000,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.encoding = encoding
        self.max_bytes = max_bytes
        # The user's shell environment is an *input* to Compose interpolation (like Compose run from that shell).
        self.environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        self.listeners: list[Callable[[ProjectSnapshot], None]] = []
        self._open: dict[str, _OpenDocument] = {}
        self._snapshots: dict[ProjectKey, ProjectSnapshot] = {}
        self._primary: dict[str, ProjectKey] = {}
        self._disk = DiskSource()

    # -- reads (request handlers) -------------------------------------------------------------------------

    def for_uri(self, uri: str) -> ComposeProject | None:
        snap = self.snapshot_for(uri)
        return snap.project if snap else None

    def snapshot_for(self, uri: str) -> ProjectSnapshot | None:
        key = self._primary.get(canonical_uri(uri))
        return self._snapshots.get(key) if key else None

    def snapshots(self) -> list[ProjectSnapshot]:
        return list(self._snapshots.values())

    def document(self, uri: str) -> ParsedDocument | None:
        """The parse of an open document's current text (parsed once per version)."""
        doc = self._open.get(canonical_uri(uri))
        if doc is None:
            return None
        if doc.parsed is None:
            doc.parsed = reparse(
                canonical_uri(uri),
                doc.previous,
                doc.text,
                doc.version,
                encoding=self.encoding(),
                max_bytes=self.max_bytes(),
            )
            doc.previous = None
        return doc.parsed

    def open_uris(self) -> list[str]:
        return list(self._open)

    def is_open(self, uri: str) -> bool:
        return canonical_uri(uri) in self._open

    def affected_by(self, uri: str) -> list[str]:
        """For a file changed on disk: one member uri per known project that reads it or lives in its folder
        (a new override file, a `.env`), to pass to `rebuild`."""
        uri = canonical_uri(uri)
        path = Path(to_fs_path(uri) or uri)
        return [
            snap.key[0] if snap.key else next(iter(snap.project.documents))
            for snap in self._snapshots.values()
            if snap.project.documents and (uri in snap.project.documents or path.parent == snap.project.directory)
        ]

    def problems_for(self, uri: str) -> tuple[Problem, ...]:
        snap = self.snapshot_for(uri)
        return snap.problems.get(canonical_uri(uri), ()) if snap else ()

    # -- writes ------------------------------------------------------------------------------------------

    def open(self, uri: str, text: str, version: int | None) -> None:
        uri = canonical_uri(uri)
        # A file analysed from disk (see `warm`) and opened unchanged keeps that parse, and with it every
        # per-service finding remembered on its nodes: the editor gets its diagnostics without a cold parse.
        cached = self._disk.cached(Path(to_fs_path(uri) or uri))
        same = cached is not None and cached.text == text and cached.encoding == self.encoding()
        self._open[uri] = _OpenDocument(text, version, previous=cached if same else None)

    def change(self, uri: str, text: str, version: int | None) -> None:
        old = self._open.get(canonical_uri(uri))
        previous = (old.parsed or old.previous) if old is not None else None
        self._open[canonical_uri(uri)] = _OpenDocument(text, version, previous=previous)

    def close(self, uri: str) -> None:
        self._open.pop(canonical_uri(uri), None)

    def rebuild(self, uri: str) -> list[ProjectSnapshot]:
        """Re-resolve the project(s) containing `uri` from current editor text and disk; notify listeners."""
        uri = canonical_uri(uri)
        source = _OverlaySource(self)
        path = Path(to_fs_path(uri) or uri)
        directory, files = project_files_for(path, self.environ, source)
        keys: list[tuple[ProjectKey, Path, list[Path]]] = [(tuple(path_uri(f) for f in files), directory, files)]
        for key, snap in self._snapshots.items():
            if key != keys[0][0] and uri in snap.project.documents:
                keys.append((key, snap.project.directory, [Path(to_fs_path(u) or u) for u in key]))
        built = [self._build(key, directory, files, source) for key, directory, files in keys]
        if uri not in self._primary or self._primary[uri] not in self._snapshots:
            self._primary[uri] = built[0].key
        return built

    def load_path(self, path: Path) -> ProjectSnapshot:
        """Load (or reload) the project of a compose file from disk and register it."""
        source = _OverlaySource(self)
        directory, files = project_files_for(path.absolute(), self.environ, source)
        return self._build(tuple(path_uri(f) for f in files), directory, files, source)

    def warm(self, path: Path) -> None:
        """Analyse a project from disk without registering it: its files' parses stay cached and per-service
        findings stay remembered on their nodes, so opening one of them later costs little (see `open`)."""
        source = _OverlaySource(self)
        directory, files = project_files_for(path.absolute(), self.environ, source)
        with paused_gc():
            check_project(load_project(files, source=source, environ=self.environ, project_directory=directory))

    def _build(self, key: ProjectKey, directory: Path, files: list[Path], source: _OverlaySource) -> ProjectSnapshot:
        with paused_gc():
            project = load_project(files, source=source, environ=self.environ, project_directory=directory)
            by_uri: dict[str, list[Problem]] = {u: [] for u in project.documents}
            for problem in check_project(project):
                by_uri.setdefault(problem.uri, []).append(problem)
        versions = {u: d.version for u, d in project.documents.items()}
        snap = ProjectSnapshot(key, project, {u: tuple(p) for u, p in by_uri.items()}, versions)
        self._snapshots[key] = snap
        for uri in project.documents:
            current = self._primary.get(uri)
            # A file's own project (it is in the main file set) wins over projects that only include it.
            if current is None or current not in self._snapshots or uri in key:
                self._primary[uri] = key
        for listener in list(self.listeners):
            try:
                listener(snap)
            except Exception:  # a listener's bug must not break diagnostics
                logger.exception("project listener failed")
        return snap

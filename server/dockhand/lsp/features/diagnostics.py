"""textDocument/didOpen|didChange|didSave|didClose and workspace/didChangeWatchedFiles → project rebuild (debounced
per document) → textDocument/publishDiagnostics.

Publishes, for every file of an affected project, the union of: static problems (parse, model, rules), the
background `docker compose config` verdict, and every `server.diagnostic_sources` callable `(uri) ->
list[Diagnostic]` (the live stack registers runtime findings there), with the document version the model was
built from. `server.republish(uris)` re-publishes that union for the given files (call it when a source changes).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterable

from lsprotocol import types
from pygls.uris import to_fs_path

from dockhand.compose.document import Problem
from dockhand.compose.index import canonical_uri, is_compose_document
from dockhand.compose.loader import path_uri
from dockhand.compose.suppress import without_suppressed
from dockhand.lsp.convert import to_range
from dockhand.lsp.server import EDITOR_QUIET_S, DockhandServer
from dockhand.runtime.compose_truth import ComposeTruth
from dockhand.runtime.discovery import find_project_dirs, primary_file
from dockhand.runtime.threads import in_daemon_thread

logger = logging.getLogger("dockhand.diagnostics")

IDLE_GC_S = 5.0
"""Quiet time after which the cyclic GC gets a full pass (the analysis pauses it)."""
MAX_GC_GAP_S = 60.0
"""Editing without a 5 s pause keeps postponing the idle pass; the frozen set (see paused_gc) must not grow for
that long, so a pass runs at least this often while edits continue."""
WARM_MAX_PROJECTS = 50
"""Projects analysed ahead of time at startup (a monorepo may hold hundreds; the first ones are the likely ones)."""
WARM_PAUSE_S = 0.05
WORKSPACE_ANALYSED = "workspace projects analysed"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def to_diagnostic(problem: Problem) -> types.Diagnostic:
    related = [
        types.DiagnosticRelatedInformation(location=types.Location(uri=u, range=to_range(s)), message=note)
        for u, s, note in problem.related
    ]
    return types.Diagnostic(
        range=to_range(problem.span),
        message=problem.message,
        severity=_SEVERITY[problem.severity],
        code=problem.code,
        source="dockhand",
        related_information=related or None,
    )


class DiagnosticsPublisher:
    """Per-document debounce, rebuild through the index, and publishing of the union of all sources."""

    def __init__(self, server: DockhandServer) -> None:
        self.server = server
        self.truth = ComposeTruth(lambda: server.settings, server.projects.environ)
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._last_run: dict[str, float] = {}
        self._truth_pending: dict[tuple[str, ...], asyncio.TimerHandle] = {}
        self._idle: asyncio.TimerHandle | None = None
        self._last_collect = 0.0
        self._published: set[str] = set()
        self._stopped = False

    def schedule(self, uri: str, delay_s: float) -> None:
        """Leading-edge debounce: an edit after a quiet spell is analysed at once; a burst is coalesced into one
        trailing run per `delay_s`, so typing never queues up analyses."""
        if uri in self._pending:
            return  # a trailing run is already due and will read the latest text
        loop = asyncio.get_running_loop()
        wait = self._last_run.get(uri, -1e9) + delay_s - loop.time()
        if wait <= 0:
            self.refresh(uri)
        else:
            self._pending[uri] = loop.call_later(wait, self.refresh, uri)

    def refresh(self, uri: str) -> None:
        if self._stopped:
            return
        loop = asyncio.get_running_loop()
        self._pending.pop(uri, None)
        self._last_run[canonical_uri(uri)] = self.server.last_analysis = loop.time()
        try:
            snapshots = self.server.projects.rebuild(uri)
        except Exception:  # the model is pure and tested, but a bug must cost diagnostics, never the server
            logger.exception("could not analyse %s", uri)
            self.server.first_analysis_done()
            return
        self.server.timeline.mark("first document analysed")
        for snap in snapshots:
            self.publish(snap.project.documents)
            # Compose's own check costs seconds of CPU on big files: run it once the editing has settled.
            handle = self._truth_pending.pop(snap.key, None)
            if handle is not None:
                handle.cancel()
            self._truth_pending[snap.key] = loop.call_later(EDITOR_QUIET_S, self._start_truth, snap.key)
        self.server.timeline.mark("first diagnostics published")
        self.server.first_analysis_done()  # the start-up work waited for this (see DockhandServer.defer_startup)
        if self._idle is not None:
            self._idle.cancel()
        if not self._last_collect:
            self._last_collect = loop.time()
        elif loop.time() - self._last_collect > MAX_GC_GAP_S:
            _idle_collect()
            self._last_collect = loop.time()
        self._idle = loop.call_later(IDLE_GC_S, self._collect_when_idle)

    def _collect_when_idle(self) -> None:
        _idle_collect()
        self._last_collect = asyncio.get_running_loop().time()

    def stop(self) -> None:
        """On shutdown: drop every pending analysis, Compose check and GC pass (nothing may publish after exit)."""
        self._stopped = True
        for handle in [*self._pending.values(), *self._truth_pending.values(), self._idle]:
            if handle is not None:
                handle.cancel()
        self._pending.clear()
        self._truth_pending.clear()

    def _start_truth(self, key: tuple[str, ...]) -> None:
        self._truth_pending.pop(key, None)
        self.server.run_task(self._check_truth(key), name="compose-config")

    async def _check_truth(self, key: tuple[str, ...]) -> None:
        await self.server.editor_quiet()  # another project may have been analysed since: the editor goes first
        snap = next((s for s in self.server.projects.snapshots() if s.key == key), None)
        if snap is None:
            return
        dirty = any(
            d.version is not None and _differs_from_disk(self.server, u) for u, d in snap.project.documents.items()
        )
        static_errors = any(p.severity == "error" for ps in snap.problems.values() for p in ps)
        if await self.truth.check(snap.key, snap.project, dirty, static_errors):
            self.publish(snap.project.documents)

    def diagnostics_for(self, uri: str) -> list[types.Diagnostic]:
        uri = canonical_uri(uri)
        out = [to_diagnostic(p) for p in self.server.projects.problems_for(uri)]
        snap = self.server.projects.snapshot_for(uri)
        if snap is not None:
            verdict = [p for p in self.truth.problems(snap.key) if p.uri == uri]
            out.extend(map(to_diagnostic, without_suppressed(verdict, snap.project.documents)))  # as `dockhand check`
        for source in list(self.server.diagnostic_sources):
            try:
                out.extend(source(uri))
            except Exception:
                logger.exception("diagnostic source %r failed", source)
        return out

    def publish(self, uris: Iterable[str]) -> None:
        if self._stopped:
            return
        for uri in uris:
            uri = canonical_uri(uri)
            diagnostics = self.diagnostics_for(uri)
            if not diagnostics and uri not in self._published:
                continue
            snap = self.server.projects.snapshot_for(uri)
            version = snap.versions.get(uri) if snap is not None else None
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
            )
            if diagnostics:
                self._published.add(uri)
            else:
                self._published.discard(uri)

    def clear(self, uri: str) -> None:
        uri = canonical_uri(uri)
        handle = self._pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        if uri in self._published:
            self._published.discard(uri)
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _idle_collect() -> None:
    """Once edits pause, hand the frozen model objects back to the cyclic GC and collect (see paused_gc)."""
    gc.unfreeze()
    gc.collect()


async def _warm_workspace(server: DockhandServer) -> None:
    """Analyse the workspace's compose projects in the background once the client is ready, one project per
    event-loop turn, so that opening any of them publishes diagnostics without a cold parse (ProjectIndex.warm)."""
    try:
        roots, depth = server.project_roots(), server.settings.discovery_depth
        directories = await in_daemon_thread(find_project_dirs, roots, depth)
        for directory in directories[:WARM_MAX_PROJECTS]:
            await asyncio.sleep(WARM_PAUSE_S)  # requests and edits go first
            primary = primary_file(directory)
            if primary is None or server.projects.is_open(path_uri(primary)):
                continue
            try:
                server.projects.warm(primary)
            except Exception:  # a warm-up is an optimisation: a bug must cost only the speed-up
                logger.exception("could not analyse %s ahead of time", primary)
    finally:
        server.timeline.mark(WORKSPACE_ANALYSED)


def _differs_from_disk(server: DockhandServer, uri: str) -> bool:
    doc = server.projects.document(uri)
    if doc is None:
        return False
    try:
        with open(to_fs_path(uri) or uri, encoding="utf-8", errors="replace", newline="") as handle:
            return handle.read() != doc.text
    except OSError:
        return True


def register(server: DockhandServer) -> None:
    """Wire document sync to the index and diagnostics."""
    publisher = DiagnosticsPublisher(server)
    server.republish = publisher.publish
    server.on_shutdown.append(publisher.stop)

    def encoding() -> str:
        try:
            kind = server.workspace.position_encoding
        except Exception:  # before initialize there is no workspace yet
            return "utf-16"
        return str(getattr(kind, "value", kind) or "utf-16")

    server.projects.encoding = encoding

    def warm_workspace() -> None:
        server.run_task(_warm_workspace(server), name="warm-workspace")

    server.on_started.append(warm_workspace)
    server.timeline.expect(WORKSPACE_ANALYSED)
    server.on_folders_changed.append(warm_workspace)  # the new folder's projects; known ones are cached

    def debounce_s() -> float:
        return server.settings.diagnostics_debounce_ms / 1000

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DockhandServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        if not is_compose_document(doc.uri, doc.text):
            return
        ls.timeline.mark("first compose document opened")
        ls.projects.open(doc.uri, doc.text, doc.version)
        publisher.schedule(doc.uri, 0)  # an open is analysed at once, never debounced like an edit

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DockhandServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        text = ls.workspace.get_text_document(uri).source  # pygls has applied the (incremental) changes
        if not ls.projects.is_open(uri) and not is_compose_document(uri, text):
            return
        ls.projects.change(uri, text, params.text_document.version)
        publisher.schedule(uri, debounce_s())

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DockhandServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.projects.is_open(params.text_document.uri):
            publisher.schedule(params.text_document.uri, 0)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: DockhandServer, params: types.DidChangeWatchedFilesParams) -> None:
        # Files edited outside the editor (an override, an included file, `.env`): re-resolve their projects. The
        # client sends these for the globs it watches (the extension's `synchronize.fileEvents`).
        members = {
            m
            for change in params.changes
            if not ls.projects.is_open(change.uri)
            for m in ls.projects.affected_by(change.uri)
        }
        for member in members:
            publisher.schedule(member, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DockhandServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.projects.close(params.text_document.uri)
        publisher.clear(params.text_document.uri)

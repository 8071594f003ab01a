"""DockhandServer: owns settings, state and background tasks (lsp/app.py wires the features onto it)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from dockhand import __version__
from dockhand.compose.index import ProjectIndex
from dockhand.config import Settings
from dockhand.observe.protocol import ObservedProtocol
from dockhand.observe.startup import StartupTimeline
from dockhand.runtime.discovery import search_roots
from dockhand.runtime.threads import in_daemon_thread, preload

if TYPE_CHECKING:
    from dockhand.lsp.features.live import LiveRuntime

logger = logging.getLogger("dockhand.server")

EXIT_GRACE_S = 3.0
"""After `exit` (or the end of the stream) the process ends within this time, even if a thread is stuck."""
EDITOR_QUIET_S = 1.5
"""Compose's CLI (a core for seconds on a big file) waits until the editor has analysed nothing for this long."""
STARTUP_GRACE_S = 0.5
"""The background start-up work waits at most this long after `initialized` for the first compose document (an
editor sends didOpen right after `initialized`); it starts as soon as that document's diagnostics are out."""
STARTUP_AFTER_FIRST_S = 0.1
"""...and then this long after them: the editor takes them in while the start-up work would take the cores."""


class ClosableWriter:
    """The transport to the client, made a no-op once closed.

    pygls closes stdout on `exit`; a background task or thread that publishes a moment later would otherwise hit
    "write to closed file", and pygls reports that failure by sending a message — which fails again, recursively.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.closed = False

    def write(self, data: bytes) -> Any:
        if self.closed:
            return None
        try:
            return self._inner.write(data)
        except ValueError:  # closed under us: there is nobody left to tell
            self.closed = True
            return None

    def close(self) -> Any:
        self.closed = True
        return self._inner.close()


class DockhandServer(LanguageServer):
    """The language server. Features read its snapshots; background tasks keep them fresh."""

    def __init__(self, settings: Settings) -> None:
        # pygls's pool only reads stdin, one read at a time; with its default size (6) the same idle-marking race
        # as in runtime/threads.start_worker_pool started a new reader thread now and then, up to 6.
        super().__init__(name="dockhand", version=__version__, protocol_cls=ObservedProtocol, max_workers=1)
        self.settings = settings
        self.trusted = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = False
        self.shutdown_requested = False
        self.exit_code = 0
        """What the process returns: 1 when the client sent `exit` without `shutdown` (as the LSP spec asks)."""
        # Feature modules add callbacks here in register(); lifecycle.py runs them (one LSP handler per method).
        # Nothing runs on `initialized` itself: the first document is right behind it.
        self.on_started: list[Callable[[], None]] = []
        """Start-up work (the live stack, telemetry, the workspace's analysis): run once the first compose document's
        diagnostics are published, or STARTUP_GRACE_S after `initialized` when none was opened (see defer_startup)."""
        self.started = False
        """Whether the on_started work has been launched."""
        self._startup: asyncio.Handle | None = None
        self._startup_due = False
        self.timeline = StartupTimeline()
        """When the first document was served and each start-up step finished (logged once, see observe/startup)."""
        self.on_shutdown: list[Callable[[], None]] = []
        self.on_settings_changed: list[Callable[[], None]] = []
        """Run after didChangeConfiguration applied new settings (e.g. the live stack re-asks for code lenses)."""
        self.on_folders_changed: list[Callable[[], None]] = []
        """Run after workspace folders were added or removed (where compose projects are looked for changed)."""
        self.live: LiveRuntime | None = None
        """The live stack (Docker state, health, lifecycle); set by features/live.py."""
        self.projects = ProjectIndex(max_bytes=lambda: self.settings.max_document_bytes)
        """Compose project snapshots by document (dockhand.compose.index); handlers only read it."""
        self.diagnostic_sources: list[Callable[[str], list[types.Diagnostic]]] = []
        """Extra diagnostics per uri (e.g. runtime findings); published with the static ones."""
        self.lens_sources: list[Callable[[str], list[types.CodeLens]]] = []
        """Extra code lenses per uri (e.g. Swarm stack actions); served with the live ones by features/codelens.py."""
        self.republish: Callable[[Iterable[str]], None] = lambda uris: None
        """Re-publish the diagnostics of these uris (set by features/diagnostics.py)."""
        self.last_analysis = 0.0
        """Event-loop time of the latest static analysis of a document (set by features/diagnostics.py)."""

    async def editor_quiet(self, quiet_s: float = EDITOR_QUIET_S) -> None:
        """Return once no document has been analysed for `quiet_s`: background runs of Compose's CLI wait for this,
        so that they never take a core from the analysis of a file being opened or edited."""
        loop = asyncio.get_running_loop()
        while True:
            wait = self.last_analysis + quiet_s - loop.time()
            if wait <= 0:
                return
            await asyncio.sleep(wait)  # until the latest analysis is quiet_s old; one may come meanwhile

    def defer_startup(self) -> None:
        """On `initialized`: launch the start-up work after the first document's diagnostics, or after the grace.

        Started at once, it had the first analysis wait behind it: an HTTP client's TLS set-up (~100 ms) and a
        Compose probe on the event loop, the workspace's analysis, and threads doing Python work (the engine's
        resync, the telemetry store and receiver) taking the GIL from the analysis — the first open was ~200 ms
        slower than any later one."""
        self.timeline.begin()
        if not self.started and self._startup is None:
            loop = asyncio.get_running_loop()
            self._startup = loop.call_later(STARTUP_GRACE_S, self.start_background, "no compose document opened")

    def first_analysis_done(self) -> None:
        """The first compose document was analysed and its diagnostics published: the start-up work begins
        STARTUP_AFTER_FIRST_S later (on 2 cores it took the CPU the editor needed to take the diagnostics in: a
        first open at 50 services measured ~3x the idle open in wall time under load, ~1x with the pause)."""
        if self.started or self._startup is None or self._startup_due:
            return  # already begun or due, or before `initialized` (whose grace timer then still applies)
        self._startup.cancel()
        self._startup_due = True
        loop = asyncio.get_running_loop()
        self._startup = loop.call_later(STARTUP_AFTER_FIRST_S, self.start_background, "first document analysed")

    def start_background(self, reason: str) -> None:
        """Run the on_started hooks once (not after shutdown)."""
        if self.started or self._stopped:
            return
        self.started = True
        self.timeline.mark("start-up work began")
        logger.debug("start-up work begins: %s", reason)
        self.run_task(self._run_start_hooks(), "start-up")

    async def _run_start_hooks(self) -> None:
        """Import what the hooks' threads will import, in one thread (runtime/threads.preload says why), then run
        the hooks on the loop."""
        await in_daemon_thread(preload)
        if self._stopped:
            return
        for hook in self.on_started:
            try:
                hook()
            except Exception:  # one feature failing to start must not keep the others from starting
                logger.exception("start-up hook %r failed", hook)

    def project_roots(self) -> list[str]:
        """Where compose projects are looked for: the workspace folders (and root) plus DOCKHAND_DISCOVERY_ROOTS."""
        folders = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        return search_roots([*folders, self.workspace.root_path], self.settings.discovery_roots)

    def run_task(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `coro` in the background, keep a reference, and log (never raise) its failure."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def cancel_tasks(self) -> None:
        """Stop every background task (on shutdown)."""
        for task in list(self._tasks):
            task.cancel()

    def guard_transport(self) -> None:
        """Make sends after the transport closed no-ops (called once the transport exists, on initialize)."""
        writer = self.protocol.writer
        if writer is not None and not isinstance(writer, ClosableWriter):
            self.protocol.set_writer(ClosableWriter(writer))

    def stop_background(self) -> None:
        """Stop everything that could still talk to the client: shutdown hooks (once), then every task."""
        if self._stopped:
            return
        self._stopped = True
        if self._startup is not None:
            self._startup.cancel()
        for hook in self.on_shutdown:
            try:
                hook()
            except Exception:  # one feature failing to stop must not keep the others running
                logger.exception("shutdown hook %r failed", hook)
        self.cancel_tasks()

    def prepare_exit(self) -> None:
        """On `exit`, just before pygls closes the stream: stop work, stop mirroring logs, bound the exit time."""
        from dockhand.log import detach_client_log

        self.exit_code = 0 if self.shutdown_requested else 1
        self.stop_background()
        detach_client_log()
        self.arm_exit_watchdog()

    def arm_exit_watchdog(self, grace_s: float = EXIT_GRACE_S) -> None:
        """End the process after `grace_s` whatever still runs.

        asyncio.run waits for its executor's threads and the interpreter joins them at exit: one stuck Docker call
        or scan would keep an editor's server alive forever. A daemon thread ends it with the right code.
        """
        code = self.exit_code

        def watchdog() -> None:
            time.sleep(grace_s)
            # No logging here: the thread holding stderr's lock may be the one stuck (a full pipe nobody reads).
            os._exit(code)

        threading.Thread(target=watchdog, name="dockhand-exit-watchdog", daemon=True).start()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls shows internal errors to the user; once the transport is closed they only go to stderr."""
        writer = self.protocol.writer
        if isinstance(writer, ClosableWriter) and writer.closed:
            logger.debug("error after the transport closed: %s", error)
            return
        super().report_server_error(error, source)

    def log_to_client(self, level: int, text: str) -> None:
        """Write a line to the client's log (window/logMessage)."""
        kind = (
            types.MessageType.Error
            if level >= logging.ERROR
            else types.MessageType.Warning
            if level >= logging.WARNING
            else types.MessageType.Info
            if level >= logging.INFO
            else types.MessageType.Log
        )
        self.window_log_message(types.LogMessageParams(type=kind, message=text))

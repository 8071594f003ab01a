"""DockhandServer (owns settings, state and background tasks) and create_server (wiring only)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from dockhand import __version__
from dockhand.compose.index import ProjectIndex
from dockhand.config import Settings
from dockhand.observe.protocol import ObservedProtocol

if TYPE_CHECKING:
    from dockhand.lsp.features.live import LiveRuntime

logger = logging.getLogger("dockhand.server")


class DockhandServer(LanguageServer):
    """The language server. Features read its snapshots; background tasks keep them fresh."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="dockhand", version=__version__, protocol_cls=ObservedProtocol)
        self.settings = settings
        self.trusted = False
        self._tasks: set[asyncio.Task[Any]] = set()
        # Feature modules add callbacks here in register(); lifecycle.py runs them (one LSP handler per method).
        self.on_initialized: list[Callable[[], None]] = []
        self.on_shutdown: list[Callable[[], None]] = []
        self.on_settings_changed: list[Callable[[], None]] = []
        """Run after didChangeConfiguration applied new settings (e.g. the live stack re-asks for code lenses)."""
        self.live: LiveRuntime | None = None
        """The live stack (Docker state, health, lifecycle); set by features/live.py."""
        self.projects = ProjectIndex(max_bytes=lambda: self.settings.max_document_bytes)
        """Compose project snapshots by document (dockhand.compose.index); handlers only read it."""
        self.diagnostic_sources: list[Callable[[str], list[types.Diagnostic]]] = []
        """Extra diagnostics per uri (e.g. runtime findings); published with the static ones."""
        self.republish: Callable[[Iterable[str]], None] = lambda uris: None
        """Re-publish the diagnostics of these uris (set by features/diagnostics.py)."""

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


def create_server(settings: Settings | None = None) -> DockhandServer:
    """Build the server and register every feature."""
    from dockhand.lsp.features import (
        codelens,
        commands,
        completion,
        definition,
        diagnostics,
        document_links,
        hover,
        lifecycle,
        live,
        live_hover,
        references,
        rename,
        services,
        symbols,
        telemetry,
    )

    server = DockhandServer(settings or Settings.load())
    editor = (hover, live_hover, definition, references, completion, document_links, symbols, rename)
    for feature in (lifecycle, diagnostics, live, codelens, commands, services, telemetry, *editor):
        feature.register(server)
    return server

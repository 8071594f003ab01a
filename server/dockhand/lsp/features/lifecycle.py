"""initialize / initialized / shutdown / didChangeConfiguration / didChangeWorkspaceFolders: settings, trust,
client log, clean exit."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types

from dockhand import __version__
from dockhand.compose.document import missing_fast_paths
from dockhand.errors import DiagnosticError
from dockhand.log import ClientLogHandler
from dockhand.lsp.server import DockhandServer
from dockhand.lsp.warmup import warm_message_converters
from dockhand.runtime.threads import start_worker_pool

logger = logging.getLogger("dockhand.lifecycle")


def register(server: DockhandServer) -> None:
    """Wire the lifecycle handlers."""

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: DockhandServer, params: types.InitializeParams) -> None:
        ls.guard_transport()
        start_worker_pool(asyncio.get_running_loop())
        options: dict[str, Any] = params.initialization_options or {}
        apply_options(ls, options)
        warm_message_converters(ls.protocol)

    @server.feature(types.INITIALIZED)
    def on_initialized(ls: DockhandServer, params: types.InitializedParams) -> None:
        dockhand_logger = logging.getLogger("dockhand")
        if not any(isinstance(h, ClientLogHandler) for h in dockhand_logger.handlers):
            dockhand_logger.addHandler(ClientLogHandler(ls.log_to_client, asyncio.get_running_loop()))
        logger.info("Dockhand %s ready (workspace trusted: %s)", __version__, ls.trusted)
        if missing := missing_fast_paths():  # once per process: initialized comes once
            logger.info(
                "YAML is read without C (%s not available here): the same results in Python, slower on big files",
                " and ".join(missing),
            )
        ls.defer_startup()  # the rest of the start-up work goes after the first document's diagnostics

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def on_configuration(ls: DockhandServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict):
            apply_options(ls, settings.get("dockhand", settings))
            for hook in ls.on_settings_changed:
                hook()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def on_folders(ls: DockhandServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        # pygls has already updated ls.workspace.folders
        for hook in ls.on_folders_changed:
            hook()

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: DockhandServer, params: None) -> None:
        logger.info("shutting down")
        ls.shutdown_requested = True
        ls.stop_background()

    @server.feature(types.EXIT)
    def on_exit(ls: DockhandServer, params: None) -> None:
        ls.prepare_exit()  # pygls then closes the stream and ends the loop


def apply_options(ls: DockhandServer, options: dict[str, Any]) -> None:
    """Overlay client options on the settings; a bad value is reported, the old settings stay."""
    trusted = options.get("trusted", options.get("workspaceTrusted"))
    if isinstance(trusted, bool):
        ls.trusted = trusted
    try:
        ls.settings = ls.settings.with_options(options)
    except DiagnosticError as err:
        logger.warning("%s — %s", err.message, err.remediation)
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=f"{err.message}. {err.remediation}")
        )

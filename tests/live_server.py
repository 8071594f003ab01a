"""Helpers for tests that start the real server with their own options: start/stop, bounded waits, its sockets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import psutil
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp_client import answer_like_vscode, plain

SERVER = [sys.executable, "-m", "dockhand"]
ANSWER_WITHIN_S = 30.0
"""A request still unanswered after this long fails the test instead of hanging it."""


def free_port() -> int:
    """A TCP port nobody listens on right now (on loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_server(
    options: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    workspace: str | None = None,
    client: str = "visual-studio-code",
    command: list[str] | None = None,
) -> AsyncIterator[LanguageClient]:
    """The real server, initialized with `options` (trusted unless they say otherwise), shut down afterwards.

    `env` is added to this process's environment; `command` replaces `python -m dockhand` (e.g. to drop
    privileges). The client answers workspace/codeLens/refresh and keeps dockhand/* notifications in
    `lsp.notifications` and the refresh count in `lsp.lens_refreshes`."""
    config = ClientServerConfig(server_command=command or SERVER, server_env={**os.environ, **(env or {})})
    lsp = await config.start()
    lsp.notifications = []  # type: ignore[attr-defined]
    answer_like_vscode(lsp)  # counts lens refreshes in lsp.lens_refreshes

    for method in ("dockhand/stateChanged", "dockhand/engineStatus", "dockhand/telemetryChanged"):

        def remember(_client: LanguageClient, params: Any, method: str = method) -> None:
            lsp.notifications.append((method, params))  # type: ignore[attr-defined]

        lsp.feature(method)(remember)
    try:
        lsp.initialize_result = await lsp.initialize_session(  # type: ignore[attr-defined]
            types.InitializeParams(
                capabilities=client_capabilities(client),
                client_info=types.ClientInfo(name=client),
                root_uri=None if workspace is None else f"file://{workspace}",
                workspace_folders=None
                if workspace is None
                else [types.WorkspaceFolder(uri=f"file://{workspace}", name="workspace")],
                initialization_options=initialization_options(options),
            )
        )
        yield lsp
        await asyncio.wait_for(lsp.shutdown_session(), timeout=30)
    finally:
        # After a failure the server never got `exit`, and pygls's stop() would wait for it forever.
        process = lsp._server
        if process is not None and process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout=10)
            if process.returncode is None:
                process.kill()
        await asyncio.wait_for(lsp.stop(), timeout=30)


def initialization_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """Trusted unless `options` say otherwise; a None value leaves that option out (e.g. trust not stated)."""
    merged = {"trusted": True, **(options or {})}
    return {key: value for key, value in merged.items() if value is not None}


async def wait_for(condition: Callable[[], Any], within: float = 10.0, interval: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; return it, or None after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if value:
            return value
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(interval)


async def wait_for_log(lsp: LanguageClient, text: str, within: float = 10.0) -> str | None:
    """The first window/logMessage containing `text`, waiting up to `within` seconds."""
    return await wait_for(lambda: next((m.message for m in lsp.log_messages if text in m.message), None), within)


def server_process(lsp: LanguageClient) -> psutil.Process:
    assert lsp._server is not None, "the server was not started as a subprocess"
    return psutil.Process(lsp._server.pid)


def listening_addresses(process: psutil.Process) -> list[tuple[str, int]]:
    """(ip, port) of every TCP socket the process listens on."""
    return [
        (conn.laddr.ip, conn.laddr.port)
        for conn in process.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN
    ]


async def request(lsp: LanguageClient, method: str, params: Any = None) -> Any:
    """A custom request (dockhand/…), answered as plain JSON-like data."""
    answer = lsp.protocol.send_request_async(method, params if params is not None else {})
    return plain(await asyncio.wait_for(answer, ANSWER_WITHIN_S))


def open_document(lsp: LanguageClient, path: str, text: str | None = None) -> str:
    """didOpen `path` (its text on disk unless given); returns its URI."""
    uri = f"file://{path}"
    with open(path) as file:
        content = file.read() if text is None else text
    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "dockercompose", 1, content))
    )
    return uri


async def hover_text(lsp: LanguageClient, uri: str, line: int, character: int) -> str:
    """The hover's text at a position ('' when there is none)."""
    found = await asyncio.wait_for(
        lsp.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        ),
        ANSWER_WITHIN_S,
    )
    if found is None:
        return ""
    contents = found.contents
    if isinstance(contents, types.MarkupContent):
        return contents.value
    if isinstance(contents, list):
        return "\n".join(c if isinstance(c, str) else c.value for c in contents)
    return contents if isinstance(contents, str) else contents.value

"""Helpers for tests that start the real server with their own options: start/stop, bounded waits, its sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import psutil
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "dockhand"]


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
) -> AsyncIterator[LanguageClient]:
    """The real server, initialized with `options` (trusted unless they say otherwise), shut down afterwards."""
    config = ClientServerConfig(server_command=SERVER, server_env=env)
    lsp = await config.start()
    try:
        lsp.initialize_result = await lsp.initialize_session(  # type: ignore[attr-defined]
            types.InitializeParams(
                capabilities=client_capabilities(client),
                client_info=types.ClientInfo(name=client),
                root_uri=None if workspace is None else f"file://{workspace}",
                workspace_folders=None
                if workspace is None
                else [types.WorkspaceFolder(uri=f"file://{workspace}", name="workspace")],
                initialization_options={"trusted": True, **(options or {})},
            )
        )
        yield lsp
        await asyncio.wait_for(lsp.shutdown_session(), timeout=30)
    finally:
        await lsp.stop()


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

"""The server speaks LSP: initialize answers real capabilities, logs reach the client, shutdown is clean."""

from __future__ import annotations

import asyncio
import sys

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient


async def test_initialize_reports_server_info_and_logs_ready(client: LanguageClient) -> None:
    result: types.InitializeResult = client.initialize_result  # type: ignore[attr-defined]
    assert result.server_info is not None and result.server_info.name == "dockhand"
    sync = result.capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions) and sync.open_close
    for _ in range(50):
        if any("ready" in m.message for m in client.log_messages):
            break
        await asyncio.sleep(0.05)
    assert any("Dockhand" in m.message and "ready" in m.message for m in client.log_messages)


async def test_bad_setting_is_reported_and_server_keeps_running() -> None:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"])
    lsp = await config.start()
    try:
        await lsp.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                initialization_options={"healthIntervalS": "soon"},
            )
        )
        for _ in range(50):
            if lsp.messages:
                break
            await asyncio.sleep(0.05)
        assert any("DOCKHAND_HEALTH_INTERVAL_S" in m.message for m in lsp.messages)
        await lsp.shutdown_session()
    finally:
        await lsp.stop()


async def test_exit_code_is_zero_after_shutdown() -> None:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"])
    lsp = await config.start()
    await lsp.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    await lsp.shutdown_session()
    process = lsp._server
    assert process is not None
    code = await asyncio.wait_for(process.wait(), timeout=10)
    assert code == 0

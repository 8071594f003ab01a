"""The server speaks LSP: initialize answers real capabilities, logs reach the client, shutdown is clean."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from dockhand.lsp import protocol
from tests.lsp_client import answer_like_vscode
from tests.unit.telemetry.otlp_samples import call_chain, traces_json


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_exit_is_clean_while_background_work_is_running(tmp_path: Path) -> None:
    """Live runtime on a compose workspace, the OTLP receiver taking a steady stream of spans and telemetryChanged
    notifications going out: after shutdown + exit the process still ends, with code 0, and no send after the
    stream closed turns into an error storm (the old flaky teardown hang)."""
    workspace = tmp_path / "shop"
    workspace.mkdir()
    compose = workspace / "compose.yaml"
    compose.write_text(
        "services:\n  web:\n    image: dockhand/busybox:local\n  db:\n    image: dockhand/busybox:local\n"
    )
    port = _free_port()
    config = ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"])
    lsp = await config.start()
    answer_like_vscode(lsp)
    await lsp.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri(),
            initialization_options={
                "trusted": True,
                "otlpHost": "127.0.0.1",
                "otlpPort": port,
                "telemetryDir": str(tmp_path / "telemetry"),
            },
        )
    )
    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=compose.as_uri(), language_id="yaml", version=1, text=compose.read_text())
        )
    )
    sending = threading.Event()
    stop = threading.Event()

    def pump_spans() -> None:
        with httpx.Client(timeout=1.0) as http:
            while not stop.is_set():
                _, request = call_chain(time.time_ns())
                try:
                    url = f"http://127.0.0.1:{port}/v1/traces"
                    answer = http.post(url, content=traces_json(request), headers={"Content-Type": "application/json"})
                    if answer.status_code == 200:
                        sending.set()
                except httpx.HTTPError:
                    time.sleep(0.05)  # receiver not up yet, or already gone after exit

    pump = threading.Thread(target=pump_spans, daemon=True)
    pump.start()
    try:
        await asyncio.wait_for(lsp.wait_for_notification(protocol.TELEMETRY_CHANGED), timeout=60)  # it runs
        assert sending.is_set()
        await lsp.shutdown_session()
        process = lsp._server
        assert process is not None
        # A generous liveness bound, not a speed figure: before the fix this could wait forever.
        code = await asyncio.wait_for(process.wait(), timeout=30)
        assert code == 0
    finally:
        stop.set()
        pump.join(timeout=5)
        if lsp._server is not None and lsp._server.returncode is None:
            lsp._server.kill()  # the failure above is the finding; do not hang on it
        await lsp.stop()


async def test_exit_without_shutdown_returns_one() -> None:
    """The LSP spec: `exit` without a prior `shutdown` ends the server with code 1."""
    config = ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"])
    lsp = await config.start()
    await lsp.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    lsp.exit(None)
    process = lsp._server
    assert process is not None
    assert await asyncio.wait_for(process.wait(), timeout=30) == 1
    await lsp.stop()

"""The first document opened right after `initialized` is served before the start-up work, which still happens; an
open is analysed at once, never debounced like an edit. (Speed is bench/first_open_bench.py's: no timing here.)"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from dockhand.compose.loader import path_uri
from dockhand.lsp import protocol
from tests.lsp_client import answer_like_vscode

SERVER = [sys.executable, "-m", "dockhand"]
MISTAKE = "services:\n  web:\n    image: dockhand/busybox:local\n    restart: sometimes\n"
WAIT_S = 60.0
"""Only a bound on a hang (a missing message): nothing here is timed."""


class Arrivals:
    """What the server sent, in arrival order: engine status, state changes, diagnostics and log lines."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Any]] = []
        self._new = asyncio.Event()

    def add(self, method: str, params: Any) -> None:
        self.messages.append((method, params))
        self._new.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        async def watch() -> None:
            while not condition():
                await self._new.wait()
                self._new.clear()

        await asyncio.wait_for(watch(), WAIT_S)

    def first(self, method: str) -> int | None:
        return next((i for i, (m, _) in enumerate(self.messages) if m == method), None)

    def flagged(self, uri: str, version: int, before: int | None = None) -> bool:
        """Whether diagnostics for `uri` at `version` flagged `restart: sometimes` (among the first `before`)."""
        return any(
            method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
            and params.uri == uri
            and params.version == version
            and any("sometimes" in d.message for d in params.diagnostics)
            for method, params in self.messages[:before]
        )

    def start_up_line(self) -> str | None:
        return next(
            (p.message for m, p in self.messages if m == types.WINDOW_LOG_MESSAGE and "start-up after" in p.message),
            None,
        )


async def start(root: Path, options: dict[str, Any] | None = None) -> tuple[LanguageClient, Arrivals]:
    """A fresh server on `root`, initialized as VS Code; returns it and the record of what it sends."""
    client: LanguageClient = await ClientServerConfig(server_command=SERVER).start()  # type: ignore[assignment]
    answer_like_vscode(client)
    arrivals = Arrivals()
    for method in (protocol.ENGINE_STATUS, protocol.STATE_CHANGED):

        def remember(_client: LanguageClient, params: Any, method: str = method) -> None:
            arrivals.add(method, params)

        client.feature(method)(remember)
    features = client.protocol.fm.features
    for method in (types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, types.WINDOW_LOG_MESSAGE):  # pytest-lsp's, kept

        def record(params: Any, method: str = method, original: Any = features[method]) -> None:
            arrivals.add(method, params)
            original(params)

        features[method] = record
    await client.initialize_session(  # sends `initialized` once the answer is in, as editors do
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"trusted": True, **(options or {})},
        )
    )
    return client, arrivals


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="dockercompose", version=version, text=text)
        )
    )


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()  # type: ignore[no-untyped-call]


async def test_first_open_is_published_before_the_start_up_work_which_still_happens(tmp_path: Path) -> None:
    """didOpen right after `initialized` (as an editor restoring a compose file): its diagnostics come before the
    live stack's first word (the engine status, the first thing the start-up work sends, whatever the engine's
    state), and the start-up work then runs: the engine status arrives and the start-up log line names every step.

    Before, the start-up work ran first and the engine status usually beat the document's diagnostics."""
    compose = tmp_path / "compose.yaml"
    compose.write_text(MISTAKE)
    client, arrivals = await start(tmp_path)
    try:
        uri = path_uri(compose)
        open_doc(client, uri, MISTAKE)
        await arrivals.until(lambda: arrivals.first(protocol.ENGINE_STATUS) is not None)
        assert arrivals.flagged(uri, 1, before=arrivals.first(protocol.ENGINE_STATUS)), arrivals.messages
        await arrivals.until(lambda: arrivals.start_up_line() is not None)
        line = arrivals.start_up_line() or ""
        for step in ("first diagnostics published", "start-up work began", "Docker Engine state known"):
            assert step in line, line
        for step in ("Compose probed", "telemetry store and receiver started", "workspace projects analysed"):
            assert step in line, line
    finally:
        await stop(client)


async def test_start_up_work_runs_when_no_document_is_opened(tmp_path: Path) -> None:
    """A workspace opened without a compose file in an editor (the extension starts on workspaceContains): the
    start-up work does not wait for a document that never comes."""
    (tmp_path / "compose.yaml").write_text(MISTAKE)
    client, arrivals = await start(tmp_path)
    try:
        await arrivals.until(lambda: arrivals.first(protocol.ENGINE_STATUS) is not None)
        await arrivals.until(lambda: arrivals.start_up_line() is not None)
        assert "first diagnostics published" not in (arrivals.start_up_line() or "")
    finally:
        await stop(client)


async def test_an_open_is_analysed_at_once_even_within_the_edit_debounce(tmp_path: Path) -> None:
    """Edits are debounced (here for 10 minutes: an edit right after an analysis waits that long); opening the
    same file again right after its last analysis is not an edit, and is published at once."""
    compose = tmp_path / "compose.yaml"
    compose.write_text(MISTAKE)
    client, arrivals = await start(tmp_path, {"diagnosticsDebounceMs": 600_000})
    try:
        uri = path_uri(compose)
        open_doc(client, uri, MISTAKE)
        await arrivals.until(lambda: arrivals.flagged(uri, 1))
        client.text_document_did_change(  # within the debounce: no analysis for 10 minutes
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(version=2, uri=uri),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=MISTAKE.replace("web:", "db:"))],
            )
        )
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        open_doc(client, uri, MISTAKE.replace("web:", "api:"), version=3)
        await arrivals.until(lambda: arrivals.flagged(uri, 3))
    finally:
        await stop(client)

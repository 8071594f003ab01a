"""`dockhand check` and the language server report the same findings on every compose file of the repository's
test data and examples: same rules, same ranges, same severities, same messages.

The server is the real one (pytest-lsp, started as `python -m dockhand`), opened on each file in turn with UTF-32
positions negotiated, so both count columns in code points. The CLI runs in this process through its own entry
point, once per file (a file means its own project in both). Compose's background verdict is off on both sides (no
binary), and only the server's static diagnostics (source `dockhand`) are compared: runtime findings come from
whatever runs on the shared engine.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from dockhand.check.cli import main as check_main
from dockhand.compose.files import compose_files_in
from dockhand.compose.loader import path_uri
from tests.check.cli import NO_COMPOSE, REPO
from tests.lsp_client import answer_like_vscode

FILES = [p for folder in ("tests/data", "examples") for p in compose_files_in(REPO / folder)]
ENV = {**os.environ, "DOCKHAND_COMPOSE_BINARY": NO_COMPOSE, "DOCKHAND_OTLP_PORT": "0"}
_SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"], server_env=ENV))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    answer_like_vscode(lsp_client)
    capabilities = client_capabilities("visual-studio-code")
    capabilities.general = types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf32])
    result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities, initialization_options={"trusted": True})
    )
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf32
    yield
    await lsp_client.shutdown_session()


def cli_findings(path: Path) -> list[tuple[Any, ...]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = check_main(["--no-compose", "--format", "json", "--root", str(REPO), str(path)])
    assert code in (0, 1)
    shown = path.relative_to(REPO).as_posix()
    return sorted(
        (f["line"] - 1, f["column"] - 1, f["endLine"] - 1, f["endColumn"] - 1, f["severity"], f["rule"], f["message"])
        for f in json.loads(out.getvalue())["findings"]
        if f["path"] == shown
    )


async def server_findings(client: LanguageClient, path: Path, text: str) -> list[tuple[Any, ...]]:
    uri = path_uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="dockercompose", version=1, text=text)
        )
    )
    # didOpen analyses at once and publishes before answering anything sent after it: this answer orders the two.
    await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    found = client.diagnostics.get(uri, [])
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    return sorted(
        (
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
            _SEVERITY[int(d.severity or 1)],
            d.code,
            d.message,
        )
        for d in found
        if d.source == "dockhand"
    )


def test_the_corpus_covers_every_test_data_project_and_the_example() -> None:
    assert len(FILES) >= 35
    assert REPO / "examples" / "parcel-shop" / "compose.yaml" in FILES


async def test_cli_and_server_agree_on_every_file(client: LanguageClient) -> None:
    disagreements = []
    with_findings = 0
    for path in FILES:
        cli, editor = cli_findings(path), await server_findings(client, path, path.read_text())
        with_findings += bool(cli)
        if cli != editor:
            disagreements.append(f"{path.relative_to(REPO)}:\n  cli:    {cli}\n  server: {editor}")
    assert not disagreements, "\n".join(disagreements)
    assert with_findings >= 20, "the corpus must exercise the rules, not only clean files"

"""Helpers for the live-stack tests: a real Dockhand server under a pytest-lsp client rooted at a compose project."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp_client import answer_like_vscode, plain

SERVER = [sys.executable, "-m", "dockhand"]


async def start_client(
    root: Path,
    *,
    env: dict[str, str] | None = None,
    editor: str = "visual-studio-code",
    options: dict[str, Any] | None = None,
) -> LanguageClient:
    """A client of a fresh server whose workspace is `root`; it counts workspace/codeLens/refresh requests."""
    server_env = {**os.environ, **(env or {})}
    config = ClientServerConfig(server_command=SERVER, server_env=server_env)
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    answer_like_vscode(client)  # counts lens refreshes in client.lens_refreshes
    client.notifications = []  # type: ignore[attr-defined]

    for method in ("dockhand/stateChanged", "dockhand/engineStatus"):

        def remember(_client: LanguageClient, params: Any, method: str = method) -> None:
            client.notifications.append((method, params))  # type: ignore[attr-defined]

        client.feature(method)(remember)

    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(editor),
            client_info=types.ClientInfo(name=editor),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"trusted": True, **(options or {})},
        )
    )
    return client


def open_document(client: LanguageClient, path: Path) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "dockercompose", 1, path.read_text()))
    )
    return uri


async def until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:  # noqa: ASYNC109
    """Await until `check()` is truthy (it may be a coroutine function) and return its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
        await asyncio.sleep(0.1)


async def lenses(client: LanguageClient, uri: str) -> list[types.CodeLens]:
    return await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
    )


def titles_at(found: list[types.CodeLens], line: int) -> list[str]:
    return [lens.command.title for lens in found if lens.range.start.line == line and lens.command]


def messages(client: LanguageClient, uri: str) -> list[str]:
    return [d.message for d in client.diagnostics.get(uri, [])]


async def services(client: LanguageClient) -> dict[str, Any]:
    """The dockhand/services answer as plain JSON-like data."""
    return plain(await client.protocol.send_request_async("dockhand/services", {}))  # type: ignore[no-any-return]

"""pytest-lsp fixtures: the real server as a subprocess, with VS Code's and Neovim's capabilities."""

from __future__ import annotations

import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp_client import answer_like_vscode

SERVER = [sys.executable, "-m", "dockhand"]
CLIENTS = ["visual-studio-code", "neovim"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=CLIENTS)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """A client connected to a fresh Dockhand server, initialized as VS Code and as Neovim; it answers the
    server's requests (lens refreshes, dynamic registrations) as VS Code does."""
    answer_like_vscode(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            client_info=types.ClientInfo(name=request.param),
            initialization_options={"trusted": True},
        )
    )
    yield
    await lsp_client.shutdown_session()

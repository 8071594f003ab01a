"""One way for test clients to answer the server's requests as an editor (VS Code) does, and to read its answers."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient


def answer_like_vscode(client: LanguageClient) -> LanguageClient:
    """Accept dynamic (un)registrations (file watchers) and code lens refreshes, as VS Code does.

    Refreshes are counted in `client.lens_refreshes` (the live stack asks for one after state changes). Call it
    once per client, before `initialize_session`: pygls refuses a second handler for the same method.
    """
    client.lens_refreshes = 0  # type: ignore[attr-defined]

    def on_lens_refresh(_client: LanguageClient, params: None) -> None:
        client.lens_refreshes += 1  # type: ignore[attr-defined]

    def accept(_client: LanguageClient, params: Any) -> None:
        return None

    client.feature(types.WORKSPACE_CODE_LENS_REFRESH)(on_lens_refresh)
    client.feature(types.CLIENT_REGISTER_CAPABILITY)(accept)
    client.feature(types.CLIENT_UNREGISTER_CAPABILITY)(accept)
    return client


def plain(value: Any) -> Any:
    """pygls turns answers of custom requests into named tuples: back to dicts and lists."""
    if hasattr(value, "_asdict"):
        # The namedtuples rename a key that is a Python keyword, `from` (the graph's edges), to `_0`.
        return {("from" if k == "_0" else k): plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


async def ask(client: LanguageClient, method: str, params: dict[str, Any]) -> Any:
    """A custom request (dockhand/…), its answer as plain data."""
    return plain(await client.protocol.send_request_async(method, params))

"""textDocument/codeLens: state-aware lenses above each service and above `services:` (from the live snapshot).

`● healthy · ↻ Restart · ■ Stop · ≡ Logs · ↗ :8080` on a running service, `○ not running · ▶ Start` on one that is
not, `▶ Up all · ■ Down` on `services:`. Refreshed by features/live.py through workspace/codeLens/refresh;
DOCKHAND_CODE_LENS=false turns them off.
"""

from __future__ import annotations

import time
from typing import Any

from lsprotocol import types

from dockhand.lsp import protocol
from dockhand.lsp.features.live import DocumentView
from dockhand.lsp.server import DockhandServer
from dockhand.runtime.state import Snapshot
from dockhand.runtime.summary import ServiceSummary, headline, summarize

MAX_URL_LENSES = 3
STATUS = ""
"""Command id of a status lens: a label, not an action (clients show it without making it clickable)."""


def _lens(where: types.Range, title: str, command: str, args: dict[str, Any] | None = None) -> types.CodeLens:
    at = types.Range(where.start, where.start)
    return types.CodeLens(at, types.Command(title=title, command=command, arguments=[args] if args else None))


def service_lenses(summary: ServiceSummary, where: types.Range, uri: str) -> list[types.CodeLens]:
    """The lenses of one service: its state, then the actions that make sense in that state, then its URLs."""
    args = {"project": summary.project, "service": summary.service, "uri": uri}
    lenses = [_lens(where, headline(summary), STATUS)]
    if not summary.engine_up:
        return lenses
    if summary.running:
        lenses += [
            _lens(where, "↻ Restart", protocol.CMD_RESTART, args),
            _lens(where, "■ Stop", protocol.CMD_STOP, args),
        ]
    elif summary.containers:
        lenses.append(_lens(where, "▶ Start", protocol.CMD_START, args))
    else:
        lenses.append(_lens(where, "▶ Start", protocol.CMD_UP, args))
    if summary.out_of_date:
        lenses.append(_lens(where, "⟳ Recreate", protocol.CMD_RECREATE, args))
    if summary.containers:
        lenses.append(_lens(where, "≡ Logs", protocol.CMD_LOGS, args))
    for url in summary.urls[:MAX_URL_LENSES]:
        lenses.append(_lens(where, f"↗ {url.label}", protocol.CMD_OPEN, {"url": url.url}))
    return lenses


def document_lenses(snapshot: Snapshot, view: DocumentView, now: float | None = None) -> list[types.CodeLens]:
    """All lenses of a document: the project line on `services:` and one row per service."""
    now = time.time() if now is None else now
    lenses: list[types.CodeLens] = []
    if view.services_key is not None:
        args = {"project": view.project, "uri": view.uri}
        if snapshot.engine.state == "down":
            lenses.append(_lens(view.services_key, "? Docker Engine not reachable", STATUS))
        else:
            lenses += [
                _lens(view.services_key, "▶ Up all", protocol.CMD_UP, args),
                _lens(view.services_key, "■ Down", protocol.CMD_DOWN, args),
            ]
    for name, where in view.services.items():
        lenses += service_lenses(summarize(snapshot, view.project, name, now), where, view.uri)
    return lenses


def register(server: DockhandServer) -> None:
    """Wire textDocument/codeLens."""

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def on_code_lens(ls: DockhandServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        if not ls.settings.code_lens or ls.live is None:
            return []
        uri = params.text_document.uri
        view = ls.live.view(uri)
        found = document_lenses(ls.live.store.snapshot, view) if view is not None else []
        for source in ls.lens_sources:
            found += source(uri)
        return found

"""Build, during `initialize`, the message converters the first document's round trip would otherwise build.

pygls (de)serialises every message with cattrs, which generates a converter function per type the first time it
meets one: ~25 ms (more under load) for didOpen's params and publishDiagnostics' — paid by the first document the
user opens, on top of its analysis. `initialize` is when the client waits anyway.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCNotification, JsonRPCProtocol

logger = logging.getLogger("dockhand.warmup")

_URI = "file:///dockhand-warm-up/compose.yaml"
_SPAN = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}
INCOMING: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        types.TEXT_DOCUMENT_DID_OPEN,
        {"textDocument": {"uri": _URI, "languageId": "dockercompose", "version": 1, "text": "services: {}\n"}},
    ),
    (
        types.TEXT_DOCUMENT_DID_CHANGE,
        {"textDocument": {"uri": _URI, "version": 2}, "contentChanges": [{"range": _SPAN, "text": "s"}, {"text": ""}]},
    ),
    (types.TEXT_DOCUMENT_DID_SAVE, {"textDocument": {"uri": _URI}}),
    (types.TEXT_DOCUMENT_DID_CLOSE, {"textDocument": {"uri": _URI}}),
)
"""The notifications that lead to diagnostics, as a client sends them (didChange: a ranged and a full change)."""


def _outgoing() -> list[tuple[str, Any]]:
    span = types.Range(types.Position(0, 0), types.Position(0, 1))
    diagnostic = types.Diagnostic(
        span,
        "warm-up",
        types.DiagnosticSeverity.Error,
        code="warm-up",
        source="dockhand",
        related_information=[types.DiagnosticRelatedInformation(types.Location(_URI, span), "warm-up")],
    )
    return [
        (types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, types.PublishDiagnosticsParams(_URI, [diagnostic], version=1)),
        (types.WINDOW_LOG_MESSAGE, types.LogMessageParams(types.MessageType.Info, "warm-up")),
    ]


def warm_message_converters(protocol: JsonRPCProtocol) -> None:
    """Run the diagnostics path's messages through pygls's own (de)serialisation once, sending nothing."""
    try:
        for method, params in INCOMING:
            protocol.structure_message({"jsonrpc": "2.0", "method": method, "params": params})
        for method, params in _outgoing():
            message_type = protocol.get_message_type(method) or JsonRPCNotification
            # What JsonRPCProtocol.notify builds and _send_data serialises (pygls 2.1), without the write.
            json.dumps(message_type(method=method, params=params, jsonrpc="2.0"), default=protocol._serialize_message)
    except Exception:  # a warm-up is an optimisation: a change in pygls must cost only the speed-up
        logger.exception("could not prepare the message converters")

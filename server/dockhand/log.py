"""Structured logging: JSON lines on stderr, and a handler that mirrors records to window/logMessage."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry["msg"] = _clip(entry["msg"], keep="head")
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = _clip(self.formatException(record.exc_info), keep="tail")
        return json.dumps(entry, default=str)


MAX_FIELD_CHARS = 8000
"""A log line stays short: readers of the stream read by line with a limit (pytest-lsp's forwarder: 64 KiB, and
when it fails nobody drains the pipe and the server blocks on its next write to stderr)."""


def _clip(text: str, keep: str) -> str:
    """`text` within MAX_FIELD_CHARS; a traceback keeps its end (the innermost error), a message its start."""
    if len(text) <= MAX_FIELD_CHARS:
        return text
    cut = f"…[{len(text) - MAX_FIELD_CHARS} chars cut]…"
    return cut + text[-MAX_FIELD_CHARS:] if keep == "tail" else text[:MAX_FIELD_CHARS] + cut


def configure(level: str = "INFO") -> None:
    """Send all logs as JSON lines to stderr (stdout belongs to the LSP stream)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("dockhand").setLevel(level)


class ClientLogHandler(logging.Handler):
    """Mirrors `dockhand.*` records to the client's log through `send(level, text)` on the server's loop."""

    def __init__(self, send: Callable[[int, str], None], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.INFO)
        self._send = send
        self._loop = loop
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False):  # a log line raised while sending one: do not recurse
            return
        text = f"[{record.levelname.lower()}] {record.getMessage()}"
        try:
            self._local.busy = True
            if _running_loop() is self._loop:
                self._send(record.levelno, text)
            elif not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._send, record.levelno, text)
        except Exception:  # logging must never break the server
            pass
        finally:
            self._local.busy = False


def detach_client_log() -> None:
    """Stop mirroring logs to the client (on exit: the transport is about to close)."""
    dockhand_logger = logging.getLogger("dockhand")
    for handler in [h for h in dockhand_logger.handlers if isinstance(h, ClientLogHandler)]:
        dockhand_logger.removeHandler(handler)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

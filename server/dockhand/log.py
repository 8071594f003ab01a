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
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

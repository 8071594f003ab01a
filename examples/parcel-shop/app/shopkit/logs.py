"""Two log styles real stacks write: Spring Boot 3.2+ console lines and JSON lines, both carrying trace ids."""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
import traceback

from shopkit.tracing import current_span

_LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR"}
# Spring Boot pads the correlation id with blanks when no span is active, so columns stay aligned.
_NO_CORRELATION = "[" + " " * 49 + "] "


def _timestamp(created: float) -> str:
    moment = datetime.datetime.fromtimestamp(created, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _abbreviate(name: str, width: int = 39) -> str:
    """Logback's `%logger{39}`: shorten package segments to their first letter until the name fits."""
    parts = name.split(".")
    for i in range(len(parts) - 1):
        if len(".".join(parts)) <= width:
            break
        parts[i] = parts[i][:1]
    return ".".join(parts)


class SpringFormatter(logging.Formatter):
    """`2026-11-28T08:00:00.123Z  INFO 1 --- [parcels] [   http-exec-3] [<traceId>-<spanId>] c.p.Parcels : msg`."""

    def __init__(self, application: str) -> None:
        super().__init__()
        self.application = application

    def format(self, record: logging.LogRecord) -> str:
        span = current_span()
        correlation = f"[{span.context.trace_id}-{span.context.span_id}] " if span else _NO_CORRELATION
        level = _LEVELS.get(record.levelname, record.levelname)
        thread = (record.threadName or "main")[-15:]
        line = (
            f"{_timestamp(record.created)} {level:>5} {os.getpid()} --- [{self.application}] [{thread:>15}] "
            f"{correlation}{_abbreviate(record.name):<40.40} : {record.getMessage()}"
        )
        if record.exc_info:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line with `trace_id` / `span_id` while a span is active (the OTel log field names)."""

    def __init__(self, application: str) -> None:
        super().__init__()
        self.application = application

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": _timestamp(record.created),
            "level": _LEVELS.get(record.levelname, record.levelname),
            "service": self.application,
            "logger": record.name,
            "thread": record.threadName,
            "message": record.getMessage(),
        }
        span = current_span()
        if span:
            entry["trace_id"] = span.context.trace_id
            entry["span_id"] = span.context.span_id
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry)


def configure(application: str, style: str) -> None:
    """Route every logger to stdout in `style` ("spring" or "json")."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(application) if style == "json" else SpringFormatter(application))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())

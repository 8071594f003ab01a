"""W3C trace context, spans, and a batching OTLP/HTTP JSON exporter that never blocks or breaks the service."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# OTLP SpanKind values.
INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar("current_span", default=None)


@dataclass(frozen=True)
class SpanContext:
    trace_id: str
    span_id: str
    sampled: bool = True

    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


def parse_traceparent(value: str | None) -> SpanContext | None:
    """The parent context in a `traceparent` header, or None when it is absent or invalid (then: new trace)."""
    match = _TRACEPARENT.match((value or "").strip().lower())
    if not match or match.group(1) == "ff" or set(match.group(2)) == {"0"} or set(match.group(3)) == {"0"}:
        return None
    return SpanContext(match.group(2), match.group(3), int(match.group(4), 16) & 1 == 1)


@dataclass
class Span:
    name: str
    kind: int
    context: SpanContext
    parent_span_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    start_ns: int = field(default_factory=time.time_ns)
    end_ns: int = 0
    error: str = ""
    export: bool = True  # False: kept out of the export (its context still propagates)

    def fail(self, message: str) -> None:
        self.error = message or "error"


def current_span() -> Span | None:
    return _current.get()


@contextlib.contextmanager
def start_span(name: str, kind: int = INTERNAL, parent: SpanContext | None = None, **attributes: Any) -> Iterator[Span]:
    """A span that is current inside the block, child of `parent` (or of the current span), exported on exit."""
    if parent is None and (outer := _current.get()) is not None:
        parent = outer.context
    context = SpanContext(parent.trace_id if parent else secrets.token_hex(16), secrets.token_hex(8))
    span = Span(name, kind, context, parent.span_id if parent else "", dict(attributes))
    token = _current.set(span)
    try:
        yield span
    except BaseException as exc:
        span.fail(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        _current.reset(token)
        span.end_ns = time.time_ns()
        exporter.submit(span)


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def _attributes(items: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in items.items()]


def _span_json(span: Span) -> dict[str, Any]:
    out: dict[str, Any] = {
        "traceId": span.context.trace_id,
        "spanId": span.context.span_id,
        "name": span.name,
        "kind": span.kind,
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(span.end_ns),
        "attributes": _attributes(span.attributes),
        "status": {"code": 2, "message": span.error} if span.error else {"code": 0},
    }
    if span.parent_span_id:
        out["parentSpanId"] = span.parent_span_id
    return out


class OtlpExporter:
    """Queues finished spans and posts them in batches from a daemon thread (OTel's BatchSpanProcessor, small).

    Settings follow the OpenTelemetry SDK environment variables. A failed export drops that batch and is
    reported at most once a minute: no collector listening must never hurt the service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Span] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_complaint = 0.0
        self.dropped = 0
        self.configure()

    def configure(self, service_name: str = "unknown_service", env: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if env is None else env
        base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318").rstrip("/")
        self.url = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or f"{base}/v1/traces"
        self.enabled = env.get("OTEL_TRACES_EXPORTER", "otlp") != "none"
        self.delay_s = int(env.get("OTEL_BSP_SCHEDULE_DELAY", "5000")) / 1000
        self.max_batch = int(env.get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512"))
        self.max_queue = int(env.get("OTEL_BSP_MAX_QUEUE_SIZE", "2048"))
        self.timeout_s = int(env.get("OTEL_EXPORTER_OTLP_TIMEOUT", "3000")) / 1000
        resource = {"service.name": env.get("OTEL_SERVICE_NAME") or service_name}
        for pair in filter(None, env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",")):
            key, _, value = pair.partition("=")
            resource.setdefault(key.strip(), value.strip())
        resource.update({"telemetry.sdk.name": "shopkit", "telemetry.sdk.language": "python"})
        self.resource = resource

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="otlp-exporter", daemon=True)
            self._thread.start()

    def submit(self, span: Span) -> None:
        if not self.enabled or not span.export or not span.context.sampled:
            return
        with self._lock:
            if len(self._queue) >= self.max_queue:
                self.dropped += 1
                return
            self._queue.append(span)
            full = len(self._queue) >= self.max_batch
        if full:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.delay_s)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Export everything queued now (also called once on shutdown)."""
        while True:
            with self._lock:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            if not batch:
                return
            self._post(batch)

    def _post(self, batch: list[Span]) -> None:
        body = {
            "resourceSpans": [
                {
                    "resource": {"attributes": _attributes(self.resource)},
                    "scopeSpans": [
                        {"scope": {"name": "shopkit", "version": "1.0"}, "spans": [_span_json(s) for s in batch]}
                    ],
                }
            ]
        }
        request = urllib.request.Request(
            self.url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
        except (OSError, urllib.error.URLError) as exc:
            self.dropped += len(batch)
            if time.monotonic() - self._last_complaint > 60:
                self._last_complaint = time.monotonic()
                logging.getLogger("io.opentelemetry.exporter").warning(
                    "Failed to export %d spans to %s (%s); dropping them, will retry with the next batch",
                    len(batch),
                    self.url,
                    getattr(exc, "reason", exc),
                )


exporter = OtlpExporter()

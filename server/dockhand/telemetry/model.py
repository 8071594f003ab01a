"""The telemetry records every source is reduced to: spans, log records and trace summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# OTLP Span.SpanKind numbers → the names the LSP payloads use.
KIND_NAMES = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
KIND_NUMBERS = {name: number for number, name in KIND_NAMES.items()}
SERVER_KINDS = (2, 5)  # spans that measure a request a service handled (latency tables use these)

# OTLP Status.StatusCode numbers → names.
STATUS_NAMES = {0: "unset", 1: "ok", 2: "error"}
STATUS_ERROR = 2


@dataclass(frozen=True, slots=True)
class Span:
    """One span, ids as lower-case hex (trace 32 chars, span 16 chars); times in Unix nanoseconds."""

    trace_id: str
    span_id: str
    parent_span_id: str
    service: str
    name: str
    kind: int
    start_ns: int
    duration_ns: int
    status: int
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_row(self) -> tuple[Any, ...]:
        """The store's column order (attributes are encoded by the store)."""
        return (
            self.trace_id,
            self.span_id,
            self.parent_span_id,
            self.service,
            self.name,
            self.kind,
            self.start_ns,
            self.duration_ns,
            self.status,
        )

    def to_payload(self) -> dict[str, Any]:
        """The dockhand/trace span shape (see lsp/protocol.py)."""
        payload: dict[str, Any] = {
            "spanId": self.span_id,
            "service": self.service,
            "name": self.name,
            "kind": KIND_NAMES.get(self.kind, "unspecified"),
            "startTimeUnixNano": str(self.start_ns),
            "durationMs": self.duration_ns / 1e6,
            "status": STATUS_NAMES.get(self.status, "unset"),
            "attributes": self.attributes,
        }
        if self.parent_span_id:
            payload["parentSpanId"] = self.parent_span_id
        return payload


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A log record received over OTLP /v1/logs."""

    time_ns: int
    service: str
    severity: str
    body: str
    trace_id: str
    span_id: str


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """One row of the trace list."""

    trace_id: str
    root_service: str
    root_operation: str
    start_ns: int
    duration_ns: int
    span_count: int
    error: bool
    services: tuple[str, ...]

    def to_payload(self) -> dict[str, Any]:
        """The dockhand/traces item shape."""
        return {
            "traceId": self.trace_id,
            "rootService": self.root_service,
            "rootOperation": self.root_operation,
            "startTimeUnixNano": str(self.start_ns),
            "durationMs": self.duration_ns / 1e6,
            "spanCount": self.span_count,
            "error": self.error,
            "services": list(self.services),
        }


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one OTLP request yielded: accepted records and how many were rejected, and why."""

    spans: list[Span] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    rejected: int = 0
    reason: str = ""


def is_hex_id(value: str, length: int) -> bool:
    """A non-zero lower-case hex id of `length` characters (OTLP treats all-zero ids as invalid)."""
    if len(value) != length or value == "0" * length:
        return False
    try:
        int(value, 16)
    except ValueError:
        return False
    return True

"""OTLP request bodies (protobuf or the OTLP/JSON mapping) → Span and LogRecord lists, with rejects counted."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from dockhand.telemetry.model import Decoded, LogRecord, Span, is_hex_id

MAX_ATTRIBUTES = 64  # per span: enough for HTTP/DB semantic conventions, bounded for hostile senders
MAX_VALUE_CHARS = 1024
UNKNOWN_SERVICE = "unknown_service"


class MalformedPayload(ValueError):
    """The body is not an OTLP request of the declared encoding; the message says why."""


# --- protobuf ---------------------------------------------------------------------------------------------


def _pb_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return value.string_value[:MAX_VALUE_CHARS]
    if kind == "array_value":
        return [_pb_value(v) for v in value.array_value.values[:MAX_ATTRIBUTES]]
    if kind == "kvlist_value":
        return {kv.key: _pb_value(kv.value) for kv in value.kvlist_value.values[:MAX_ATTRIBUTES]}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind)


def _pb_attributes(attributes: Any) -> dict[str, Any]:
    return {kv.key: _pb_value(kv.value) for kv in attributes[:MAX_ATTRIBUTES]}


def _pb_service(resource: Any) -> str:
    for kv in resource.attributes:
        if kv.key == "service.name" and kv.value.string_value:
            return str(kv.value.string_value)
    return UNKNOWN_SERVICE


_Message = TypeVar("_Message", ExportTraceServiceRequest, ExportLogsServiceRequest)


def _parse_protobuf(message: _Message, body: bytes) -> _Message:
    """`message` filled from `body`, or MalformedPayload naming what was expected."""
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise MalformedPayload(f"not a protobuf {type(message).__name__}: {exc}") from None
    return message


def decode_traces_protobuf(body: bytes) -> Decoded:
    """Decode an ExportTraceServiceRequest; spans with invalid ids or times are rejected (counted)."""
    request = _parse_protobuf(ExportTraceServiceRequest(), body)
    spans: list[Span] = []
    rejected = 0
    for resource_spans in request.resource_spans:
        service = _pb_service(resource_spans.resource)
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                trace_id = s.trace_id.hex()
                span_id = s.span_id.hex()
                start, end = s.start_time_unix_nano, s.end_time_unix_nano
                if len(trace_id) != 32 or len(span_id) != 16 or trace_id == "0" * 32 or end < start or start == 0:
                    rejected += 1
                    continue
                spans.append(
                    Span(
                        trace_id,
                        span_id,
                        s.parent_span_id.hex(),
                        service,
                        s.name,
                        s.kind,
                        start,
                        end - start,
                        s.status.code,
                        _pb_attributes(s.attributes),
                    )
                )
    return Decoded(spans=spans, rejected=rejected, reason=_reason(rejected, "span"))


def decode_logs_protobuf(body: bytes) -> Decoded:
    """Decode an ExportLogsServiceRequest; records without a time are rejected (counted)."""
    request = _parse_protobuf(ExportLogsServiceRequest(), body)
    logs: list[LogRecord] = []
    rejected = 0
    for resource_logs in request.resource_logs:
        service = _pb_service(resource_logs.resource)
        for scope_logs in resource_logs.scope_logs:
            for r in scope_logs.log_records:
                time_ns = r.time_unix_nano or r.observed_time_unix_nano
                if not time_ns:
                    rejected += 1
                    continue
                body_value = _pb_value(r.body)
                text = body_value if isinstance(body_value, str) else json.dumps(body_value)
                logs.append(LogRecord(time_ns, service, r.severity_text, text, r.trace_id.hex(), r.span_id.hex()))
    return Decoded(logs=logs, rejected=rejected, reason=_reason(rejected, "log record"))


# --- OTLP/JSON --------------------------------------------------------------------------------------------


def _json_id(raw: Any, length: int) -> str:
    """OTLP/JSON ids are hex strings; base64 (protobuf's generic JSON mapping) is accepted too."""
    if not raw or not isinstance(raw, str):
        return ""
    if is_hex_id(raw.lower(), length):
        return raw.lower()
    try:
        decoded = base64.b64decode(raw, validate=True).hex()
    except (binascii.Error, ValueError):
        return "?"
    return decoded if len(decoded) == length else "?"


def _json_int(raw: Any) -> int:
    """int64 fields arrive as JSON strings or numbers."""
    if raw is None or raw == "":
        return 0
    return int(raw)


def _json_value(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "stringValue":
        return str(raw)[:MAX_VALUE_CHARS]
    if kind == "intValue":
        return _json_int(raw)
    if kind == "doubleValue":
        return float(raw)
    if kind == "boolValue":
        return bool(raw)
    if kind == "arrayValue":
        return [_json_value(v) for v in (raw or {}).get("values", [])[:MAX_ATTRIBUTES]]
    if kind == "kvlistValue":
        return _json_attributes((raw or {}).get("values", []))
    if kind == "bytesValue":
        return str(raw)
    return None


def _json_attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {str(kv.get("key")): _json_value(kv.get("value")) for kv in items[:MAX_ATTRIBUTES] if isinstance(kv, dict)}


def _json_service(resource: Any) -> str:
    attributes = _json_attributes((resource or {}).get("attributes", [])) if isinstance(resource, dict) else {}
    name = attributes.get("service.name")
    return name if isinstance(name, str) and name else UNKNOWN_SERVICE


def _json_root(body: bytes, key: str) -> list[Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPayload(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise MalformedPayload("an OTLP/JSON request must be a JSON object")
    items = document.get(key, [])
    if not isinstance(items, list):
        raise MalformedPayload(f"`{key}` must be an array")
    return items


def _dicts(parent: Any, key: str) -> list[dict[str, Any]]:
    items = parent.get(key, []) if isinstance(parent, dict) else []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def decode_traces_json(body: bytes) -> Decoded:
    """Decode an OTLP/JSON ExportTraceServiceRequest (hex ids, camelCase keys, int64 as strings)."""
    spans: list[Span] = []
    rejected = 0
    for resource_spans in _json_root(body, "resourceSpans"):
        service = _json_service(resource_spans.get("resource") if isinstance(resource_spans, dict) else None)
        for scope_spans in _dicts(resource_spans, "scopeSpans"):
            for s in _dicts(scope_spans, "spans"):
                try:
                    trace_id = _json_id(s.get("traceId"), 32)
                    span_id = _json_id(s.get("spanId"), 16)
                    parent = _json_id(s.get("parentSpanId"), 16)
                    start, end = _json_int(s.get("startTimeUnixNano")), _json_int(s.get("endTimeUnixNano"))
                    kind = _json_int(s.get("kind"))
                    status = s.get("status") or {}
                    code = _json_int(status.get("code")) if isinstance(status, dict) else 0
                except (TypeError, ValueError):
                    rejected += 1
                    continue
                if not is_hex_id(trace_id, 32) or not is_hex_id(span_id, 16) or parent == "?" or not 0 < start <= end:
                    rejected += 1
                    continue
                spans.append(
                    Span(
                        trace_id,
                        span_id,
                        parent,
                        service,
                        str(s.get("name", "")),
                        kind,
                        start,
                        end - start,
                        code,
                        _json_attributes(s.get("attributes", [])),
                    )
                )
    return Decoded(spans=spans, rejected=rejected, reason=_reason(rejected, "span"))


def decode_logs_json(body: bytes) -> Decoded:
    """Decode an OTLP/JSON ExportLogsServiceRequest."""
    logs: list[LogRecord] = []
    rejected = 0
    for resource_logs in _json_root(body, "resourceLogs"):
        service = _json_service(resource_logs.get("resource") if isinstance(resource_logs, dict) else None)
        for scope_logs in _dicts(resource_logs, "scopeLogs"):
            for r in _dicts(scope_logs, "logRecords"):
                try:
                    time_ns = _json_int(r.get("timeUnixNano")) or _json_int(r.get("observedTimeUnixNano"))
                except (TypeError, ValueError):
                    time_ns = 0
                if not time_ns:
                    rejected += 1
                    continue
                body_value = _json_value(r.get("body"))
                text = body_value if isinstance(body_value, str) else json.dumps(body_value)
                trace_id = _json_id(r.get("traceId"), 32)
                span_id = _json_id(r.get("spanId"), 16)
                logs.append(
                    LogRecord(
                        time_ns,
                        service,
                        str(r.get("severityText", "")),
                        text,
                        "" if trace_id == "?" else trace_id,
                        "" if span_id == "?" else span_id,
                    )
                )
    return Decoded(logs=logs, rejected=rejected, reason=_reason(rejected, "log record"))


def _reason(rejected: int, what: str) -> str:
    if not rejected:
        return ""
    return f"{rejected} {what}(s) rejected: missing/invalid trace or span id, or missing/inverted timestamps"

"""Builders of OTLP requests (protobuf and OTLP/JSON) for the telemetry tests and the benchmark."""

from __future__ import annotations

import json
import os
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan


def new_trace_id() -> str:
    return os.urandom(16).hex()


def new_span_id() -> str:
    return os.urandom(8).hex()


def span_dict(
    trace_id: str,
    span_id: str,
    name: str,
    start_ns: int,
    duration_ns: int,
    *,
    parent: str = "",
    kind: int = 2,
    error: bool = False,
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A span in the OTLP/JSON mapping (hex ids, int64 as strings, enums as numbers)."""
    attrs = []
    for key, value in (attributes or {}).items():
        if isinstance(value, bool):
            attrs.append({"key": key, "value": {"boolValue": value}})
        elif isinstance(value, int):
            attrs.append({"key": key, "value": {"intValue": str(value)}})
        else:
            attrs.append({"key": key, "value": {"stringValue": str(value)}})
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "parentSpanId": parent,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + duration_ns),
        "attributes": attrs,
        "status": {"code": 2 if error else 0},
    }


def traces_json(by_service: dict[str, list[dict[str, Any]]]) -> bytes:
    """An OTLP/JSON ExportTraceServiceRequest body, one resource per service."""
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                    "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}],
                }
                for service, spans in by_service.items()
            ]
        }
    ).encode()


def traces_protobuf(by_service: dict[str, list[dict[str, Any]]]) -> bytes:
    """The same request as protobuf."""
    request = ExportTraceServiceRequest()
    for service, spans in by_service.items():
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value=service)))
        scope = resource_spans.scope_spans.add()
        for s in spans:
            pb = PbSpan(
                trace_id=bytes.fromhex(s["traceId"]),
                span_id=bytes.fromhex(s["spanId"]),
                parent_span_id=bytes.fromhex(s["parentSpanId"]),
                name=s["name"],
                kind=s["kind"],
                start_time_unix_nano=int(s["startTimeUnixNano"]),
                end_time_unix_nano=int(s["endTimeUnixNano"]),
            )
            pb.status.code = s["status"]["code"]
            for a in s["attributes"]:
                value = a["value"]
                if "stringValue" in value:
                    pb.attributes.append(KeyValue(key=a["key"], value=AnyValue(string_value=value["stringValue"])))
                elif "intValue" in value:
                    pb.attributes.append(KeyValue(key=a["key"], value=AnyValue(int_value=int(value["intValue"]))))
                else:
                    pb.attributes.append(KeyValue(key=a["key"], value=AnyValue(bool_value=value["boolValue"])))
            scope.spans.append(pb)
    return bytes(request.SerializeToString())


def logs_protobuf(service: str, records: list[tuple[int, str, str, str]]) -> bytes:
    """An ExportLogsServiceRequest of (time_ns, body, trace_id, span_id) records."""
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value=service)))
    scope = resource_logs.scope_logs.add()
    for time_ns, body, trace_id, span_id in records:
        record = scope.log_records.add()
        record.time_unix_nano = time_ns
        record.body.string_value = body
        record.trace_id = bytes.fromhex(trace_id) if trace_id else b""
        record.span_id = bytes.fromhex(span_id) if span_id else b""
        record.severity_text = "INFO"
    return bytes(request.SerializeToString())


def call_chain(start_ns: int, *, error: bool = False) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """A gateway → orders call as real instrumentation records it: server, client, server, internal."""
    trace_id = new_trace_id()
    root, client, callee = new_span_id(), new_span_id(), new_span_id()
    return trace_id, {
        "gateway": [
            span_dict(trace_id, root, "GET /api/orders", start_ns, 9_000_000, attributes={"http.route": "/api/orders"}),
            span_dict(trace_id, client, "GET", start_ns + 1_000_000, 7_000_000, parent=root, kind=3),
        ],
        "orders": [
            span_dict(trace_id, callee, "GET /orders", start_ns + 1_500_000, 6_000_000, parent=client, error=error),
            span_dict(trace_id, new_span_id(), "SELECT orders", start_ns + 2_000_000, 3_000_000, parent=callee, kind=1),
        ],
    }

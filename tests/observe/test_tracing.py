"""Self-tracing: the OpenTelemetry SDK exports the server's spans over OTLP/HTTP, nested, and costs nothing when off.

The receiver here is a plain local HTTP server that decodes the OTLP protobuf body: it stands in for Dockhand's
embedded receiver so this test checks the exporter side alone (the end-to-end run into the real receiver lives
with the fault suite).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from dockhand.observe import tracing


class _Collector(BaseHTTPRequestHandler):
    received: list[ExportTraceServiceRequest]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        type(self).received.append(request)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    handler = type("Collector", (_Collector,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces", handler.received
    finally:
        tracing.shutdown()
        server.shutdown()
        server.server_close()


def test_spans_are_exported_nested_with_the_dockhand_service_name(
    collector: tuple[str, list[ExportTraceServiceRequest]],
) -> None:
    endpoint, received = collector
    tracing.configure(endpoint)
    assert tracing.enabled()
    request_span = tracing.start_span("lsp textDocument/hover", {"lsp.method": "textDocument/hover"})
    with tracing.current(request_span), tracing.span("compose.parse", services=3):
        pass
    tracing.end_span(request_span, "error")
    tracing.shutdown()  # flushes

    spans = [
        (resource.resource, span)
        for request in received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    by_name = {span.name: span for _, span in spans}
    assert set(by_name) == {"lsp textDocument/hover", "compose.parse"}
    parent, child = by_name["lsp textDocument/hover"], by_name["compose.parse"]
    assert child.parent_span_id == parent.span_id and child.trace_id == parent.trace_id
    assert parent.status.code == 2  # STATUS_CODE_ERROR
    services = {a.value.string_value for resource, _ in spans for a in resource.attributes if a.key == "service.name"}
    assert services == {"dockhand"}


def test_spans_are_no_ops_until_configured() -> None:
    assert not tracing.enabled()
    with tracing.span("nothing") as span:
        assert not span.get_span_context().is_valid

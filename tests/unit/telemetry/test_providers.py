"""Jaeger v3, Zipkin v2 and Tempo providers against RECORDED responses of the documented shapes.

No Jaeger, Zipkin or Tempo server can be installed on this machine, so a real local HTTP server (the standard
library's) answers each documented endpoint with a response shaped as the projects document it (Jaeger api_v3
grpc-gateway: `{"result": {"resourceSpans": …}}`, streamed as one document per chunk; Zipkin v2 JSON spans;
Tempo `/api/search` summaries and `/api/v2/traces/{id}` OTLP JSON). The tests check the requests the providers
send (paths and query parameters) as much as the spans they make of the answers.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dockhand.errors import DiagnosticError
from dockhand.telemetry.providers import create_provider
from tests.unit.telemetry.otlp_samples import call_chain, traces_json

START = 1_700_000_000_000_000_000
TRACE_ID, CHAIN = call_chain(START, error=True)
OTLP = json.loads(traces_json(CHAIN))


class Recorded:
    """A local HTTP server answering path → JSON text, remembering every request's path and query."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        recorded = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                recorded.requests.append((url.path, parse_qs(url.query)))
                body = recorded.routes.get(url.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                data = (body or "").encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[Recorded] = []

    def start(routes: dict[str, str]) -> Recorded:
        servers.append(Recorded(routes))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _check_chain(spans: list[Any]) -> None:
    assert {s.trace_id for s in spans} == {TRACE_ID}
    assert sorted((s.service, s.name) for s in spans) == sorted(
        (service, span["name"]) for service, items in CHAIN.items() for span in items
    )
    assert any(s.status == 2 for s in spans)


async def test_jaeger_v3(serve: Any) -> None:
    gateway_chunk = {"result": {"resourceSpans": [OTLP["resourceSpans"][0]]}}
    orders_chunk = {"result": {"resourceSpans": [OTLP["resourceSpans"][1]]}}
    streamed = json.dumps(gateway_chunk) + "\n" + json.dumps(orders_chunk) + "\n"  # one document per chunk
    backend = serve(
        {
            "/api/v3/services": json.dumps({"services": ["orders", "gateway"]}),
            "/api/v3/operations": json.dumps(
                {"operations": [{"name": "GET /orders", "spanKind": "server"}, {"name": "SELECT", "spanKind": ""}]}
            ),
            "/api/v3/traces": streamed,
            f"/api/v3/traces/{TRACE_ID}": json.dumps({"result": OTLP}),
        }
    )
    provider = create_provider("jaeger", backend.url)
    assert provider is not None
    assert await provider.services() == ["gateway", "orders"]
    assert await provider.operations("orders") == ["GET /orders", "SELECT"]
    spans = await provider.search("gateway", "GET /api/orders", 5.0, START, START + 60_000_000_000, 20)
    _check_chain(spans)
    path, query = backend.requests[-1]
    assert path == "/api/v3/traces"
    assert query["query.service_name"] == ["gateway"] and query["query.operation_name"] == ["GET /api/orders"]
    assert query["query.start_time_min"] == ["2023-11-14T22:13:20.000000000Z"]
    assert query["query.duration_min"] == ["0.005000s"] and query["query.search_depth"] == ["20"]
    _check_chain(await provider.trace(TRACE_ID))
    assert await provider.trace("f" * 32) == []  # 404: unknown trace
    await provider.close()


async def test_jaeger_without_a_service_asks_each_service(serve: Any) -> None:
    backend = serve(
        {"/api/v3/services": json.dumps({"services": ["a", "b"]}), "/api/v3/traces": json.dumps({"result": OTLP})}
    )
    provider = create_provider("jaeger", backend.url)
    assert provider is not None
    await provider.search(None, None, 0, START, START + 1, 10)
    asked = [q["query.service_name"][0] for p, q in backend.requests if p == "/api/v3/traces"]
    assert asked == ["a", "b"]
    await provider.close()


def _zipkin(span: dict[str, Any], service: str) -> dict[str, Any]:
    kinds = {2: "SERVER", 3: "CLIENT"}
    out: dict[str, Any] = {
        "traceId": span["traceId"],
        "id": span["spanId"],
        "name": span["name"],
        "timestamp": int(span["startTimeUnixNano"]) // 1000,
        "duration": (int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) // 1000,
        "localEndpoint": {"serviceName": service, "ipv4": "172.18.0.5"},
        "tags": {"http.method": "GET", **({"error": "500"} if span["status"]["code"] == 2 else {})},
    }
    if span["parentSpanId"]:
        out["parentId"] = span["parentSpanId"]
    if span["kind"] in kinds:
        out["kind"] = kinds[span["kind"]]
    return out


async def test_zipkin_v2(serve: Any) -> None:
    zipkin_trace = [_zipkin(s, service) for service, items in CHAIN.items() for s in items]
    backend = serve(
        {
            "/api/v2/services": json.dumps(["orders", "gateway"]),
            "/api/v2/spans": json.dumps(["get /orders"]),
            "/api/v2/traces": json.dumps([zipkin_trace]),
            f"/api/v2/trace/{TRACE_ID}": json.dumps(zipkin_trace),
        }
    )
    provider = create_provider("zipkin", backend.url)
    assert provider is not None
    assert await provider.services() == ["gateway", "orders"]
    assert await provider.operations("orders") == ["get /orders"]
    spans = await provider.search("orders", None, 2.5, START, START + 60_000_000_000, 10)
    _check_chain(spans)
    assert [s.kind for s in spans][:3] == [2, 3, 2]  # SERVER, CLIENT, SERVER
    assert spans[0].duration_ns == 9_000_000 and spans[0].start_ns == START
    path, query = backend.requests[-1]
    assert path == "/api/v2/traces" and query["serviceName"] == ["orders"] and query["minDuration"] == ["2500"]
    assert query["endTs"] == [str((START + 60_000_000_000) // 1_000_000)] and query["lookback"] == ["60000"]
    _check_chain(await provider.trace(TRACE_ID))
    await provider.close()


async def test_tempo(serve: Any) -> None:
    # Tempo's trace-by-id answers OTLP JSON; some versions encode ids in base64, as protobuf's JSON mapping does.
    b64 = json.loads(json.dumps(OTLP))
    for resource in b64["resourceSpans"]:
        for span in resource["scopeSpans"][0]["spans"]:
            for key in ("traceId", "spanId", "parentSpanId"):
                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode() if span[key] else ""
    backend = serve(
        {
            "/api/search/tag/service.name/values": json.dumps({"tagValues": ["orders", "gateway"]}),
            "/api/search/tag/name/values": json.dumps({"tagValues": [{"type": "string", "value": "GET /orders"}]}),
            "/api/search": json.dumps(
                {
                    "traces": [
                        {
                            "traceID": TRACE_ID,
                            "rootServiceName": "gateway",
                            "rootTraceName": "GET /api/orders",
                            "startTimeUnixNano": str(START),
                            "durationMs": 9,
                        }
                    ],
                    "metrics": {"inspectedBytes": "1024"},
                }
            ),
            f"/api/v2/traces/{TRACE_ID}": json.dumps({"trace": {"resourceSpans": b64["resourceSpans"]}}),
        }
    )
    provider = create_provider("tempo", backend.url)
    assert provider is not None
    assert await provider.services() == ["gateway", "orders"]
    assert await provider.operations("orders") == ["GET /orders"]
    spans = await provider.search("orders", "GET /orders", 5, START, START + 60_000_000_000, 5)
    _check_chain(spans)
    search = next(q for p, q in backend.requests if p == "/api/search")
    assert search["q"] == ['{resource.service.name = "orders" && name = "GET /orders" && duration >= 5ms}']
    assert search["start"] == [str(START // 10**9)] and search["end"] == [str(START // 10**9 + 60)]
    await provider.close()


async def test_an_unreachable_backend_is_a_diagnostic_error() -> None:
    provider = create_provider("zipkin", "http://127.0.0.1:9")
    assert provider is not None
    with pytest.raises(DiagnosticError) as caught:
        await provider.services()
    assert "DOCKHAND_TRACE_URL" in caught.value.remediation
    await provider.close()
    with pytest.raises(DiagnosticError):
        create_provider("tempo", "")
    assert create_provider("otlp", "") is None

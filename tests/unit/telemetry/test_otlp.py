"""The OTLP/HTTP receiver: decoding (protobuf, JSON, gzip), rejects, limits, and the one-per-machine rule."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from dockhand.config import Settings
from dockhand.telemetry.hub import Telemetry
from dockhand.telemetry.model import Decoded
from dockhand.telemetry.otlp import Receiver, bind_hosts, handle_export, inflate
from dockhand.telemetry.otlp_decode import decode_traces_json, decode_traces_protobuf
from tests.unit.telemetry.otlp_samples import call_chain, logs_protobuf, span_dict, traces_json, traces_protobuf

NOW = time.time_ns()
LIMIT = 1_000_000


class Sink:
    def __init__(self) -> None:
        self.received: list[Decoded] = []

    def __call__(self, decoded: Decoded) -> None:
        self.received.append(decoded)


def test_json_and_protobuf_decode_to_the_same_spans() -> None:
    trace_id, request = call_chain(NOW, error=True)
    from_json = decode_traces_json(traces_json(request)).spans
    from_pb = decode_traces_protobuf(traces_protobuf(request)).spans
    assert from_json == from_pb
    assert [(s.service, s.name, s.kind) for s in from_json] == [
        ("gateway", "GET /api/orders", 2),
        ("gateway", "GET", 3),
        ("orders", "GET /orders", 2),
        ("orders", "SELECT orders", 1),
    ]
    assert {s.trace_id for s in from_json} == {trace_id}
    assert from_json[0].attributes == {"http.route": "/api/orders"}
    assert from_json[2].status == 2 and from_json[2].duration_ns == 6_000_000


def test_spans_with_bad_ids_are_rejected_and_counted_the_rest_kept() -> None:
    good = span_dict("ab" * 16, "cd" * 8, "ok", NOW, 1000)
    bad_trace = span_dict("00" * 16, "cd" * 8, "zero trace id", NOW, 1000)
    inverted = span_dict("ab" * 16, "ef" * 8, "ends before it starts", NOW, 1000)
    inverted["endTimeUnixNano"] = str(NOW - 1)
    decoded = decode_traces_json(traces_json({"svc": [good, bad_trace, inverted]}))
    assert [s.name for s in decoded.spans] == ["ok"]
    assert decoded.rejected == 2 and "rejected" in decoded.reason


def test_partial_success_reply_per_spec_for_protobuf_and_json() -> None:
    good = span_dict("ab" * 16, "cd" * 8, "ok", NOW, 1000)
    bad = span_dict("ab" * 16, "zz" * 8, "bad", NOW, 1000)
    sink = Sink()
    reply = handle_export("/v1/traces", "application/json", "", traces_json({"s": [good, bad]}), LIMIT, sink)
    assert reply.status == 200
    assert json.loads(reply.body)["partialSuccess"]["rejectedSpans"] == "1"
    pb_good = traces_protobuf({"s": [good]}) + traces_protobuf(
        {"s": [{**good, "traceId": "00" * 16}]}
    )  # two messages concatenated merge into one request (protobuf semantics)
    reply = handle_export("/v1/traces", "application/x-protobuf", "", pb_good, LIMIT, sink)
    response = ExportTraceServiceResponse.FromString(reply.body)
    assert reply.status == 200 and response.partial_success.rejected_spans == 1
    # Full success: no partial_success at all.
    reply = handle_export("/v1/traces", "application/x-protobuf", "", traces_protobuf({"s": [good]}), LIMIT, sink)
    assert not ExportTraceServiceResponse.FromString(reply.body).HasField("partial_success")


def test_malformed_bodies_get_400_with_the_reason() -> None:
    sink = Sink()
    for content_type, body in [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("application/x-protobuf", b"\xff\xff\xff\xff"),
    ]:
        reply = handle_export("/v1/traces", content_type, "", body, LIMIT, sink)
        assert reply.status == 400, body
        assert b"malformed" in reply.body
    assert not sink.received
    assert handle_export("/v1/traces", "text/plain", "", b"x", LIMIT, sink).status == 415
    assert handle_export("/v1/metrics", "application/json", "", b"{}", LIMIT, sink).status == 404


def test_gzip_is_inflated_and_a_gzip_bomb_is_refused() -> None:
    _, request = call_chain(NOW)
    body = traces_protobuf(request)
    assert inflate(gzip.compress(body), "gzip", LIMIT) == body
    bomb = gzip.compress(b"\0" * (50 * LIMIT))  # 50 MB of zeros in ~50 kB
    assert len(bomb) < LIMIT
    sink = Sink()
    reply = handle_export("/v1/traces", "application/x-protobuf", "gzip", bomb, LIMIT, sink)
    assert reply.status == 413 and b"inflates beyond" in reply.body
    assert handle_export("/v1/traces", "application/json", "gzip", b"not gzip", LIMIT, sink).status == 400
    assert handle_export("/v1/traces", "application/json", "br", b"{}", LIMIT, sink).status == 400


def test_bind_hosts_never_listen_on_every_interface() -> None:
    assert bind_hosts("0.0.0.0") == ["127.0.0.1"]
    assert bind_hosts("127.0.0.1, 0.0.0.0") == ["127.0.0.1"]
    auto = bind_hosts("auto")
    assert auto[0] == "127.0.0.1" and "0.0.0.0" not in auto


def test_listeners_of_addresses_no_longer_wanted_are_closed() -> None:
    r = Receiver("127.0.0.1,127.0.0.2", 0, LIMIT, Sink(), "/nowhere/telemetry.sqlite3")
    assert r.start()
    try:
        assert len(r.addresses) == 2
        r.host_setting = "127.0.0.1"  # as when a bridge network is removed: its gateway is no longer listed
        assert r.start()
        assert r.addresses == [f"127.0.0.1:{r.port}"]
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.2:{r.port}/dockhand/info", timeout=2)
        for _ in range(100):  # the serving thread ends right after its loop stops (bounded wait)
            if not any(t.name == "otlp-127.0.0.2" for t in threading.enumerate()):
                break
            time.sleep(0.02)
        assert not any(t.name == "otlp-127.0.0.2" for t in threading.enumerate())
        assert httpx.get(f"http://127.0.0.1:{r.port}/dockhand/info", timeout=2).status_code == 200
    finally:
        r.stop()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, Sink]]:
    sink = Sink()
    r = Receiver("127.0.0.1", 0, LIMIT, sink, "/nowhere/telemetry.sqlite3")
    assert r.start()
    yield r, sink
    r.stop()


def test_receiver_over_http_takes_spans_and_logs_and_survives_bad_requests(receiver: tuple[Receiver, Sink]) -> None:
    r, sink = receiver
    base = f"http://127.0.0.1:{r.port}"
    _, request = call_chain(NOW)
    with httpx.Client() as client:
        bad = client.post(base + "/v1/traces", content=b"garbage", headers={"Content-Type": "application/x-protobuf"})
        assert bad.status_code == 400
        big = client.post(base + "/v1/traces", content=b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"})
        assert big.status_code == 413
        ok = client.post(
            base + "/v1/traces",
            content=gzip.compress(traces_protobuf(request)),
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        )
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/x-protobuf"
        logs = client.post(
            base + "/v1/logs",
            content=logs_protobuf("orders", [(NOW, "hello", "ab" * 16, "cd" * 8)]),
            headers={"Content-Type": "application/x-protobuf"},
        )
        assert logs.status_code == 200
    assert [len(d.spans) for d in sink.received] == [4, 0]
    assert sink.received[1].logs[0].body == "hello" and sink.received[1].logs[0].trace_id == "ab" * 16


def test_the_opentelemetry_sdk_exporter_delivers_to_the_receiver(receiver: tuple[Receiver, Sink]) -> None:
    """The real OpenTelemetry Python SDK and its OTLP/HTTP exporter (protobuf + gzip) as the sender."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    r, sink = receiver
    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{r.port}/v1/traces", compression=Compression.Gzip)
    provider = TracerProvider(resource=Resource.create({"service.name": "sdk-app"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("parent") as parent, tracer.start_as_current_span("child"):
        trace_id = f"{parent.get_span_context().trace_id:032x}"
    provider.shutdown()
    spans = [s for d in sink.received for s in d.spans]
    assert sorted(s.name for s in spans) == ["child", "parent"]
    assert {s.service for s in spans} == {"sdk-app"} and {s.trace_id for s in spans} == {trace_id}


def test_a_second_server_shares_the_first_ones_receiver_and_store(tmp_path: Path) -> None:
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    with httpx.Client() as probe_client:
        port = _free_port(probe_client)
    first = Telemetry(Settings(otlp_host="127.0.0.1", otlp_port=port, telemetry_dir=str(first_dir)))
    second = Telemetry(Settings(otlp_host="127.0.0.1", otlp_port=port, telemetry_dir=str(second_dir)))
    first.start()
    try:
        second.start()
        assert first.owner and not second.owner and second.error is None
        assert first.store is not None and second.store is not None and second.store.path == first.store.path
        trace_id, request = call_chain(NOW)
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/traces",
            content=traces_json(request),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200
        assert second.trace(trace_id) is not None
        assert second.poll()[0] == 4  # the second server's rollups see the first one's ingest
        # The owner goes away: the second takes the port over on its next maintenance.
        first.stop()
        second.maintain()
        assert second.owner
    finally:
        first.stop()
        second.stop()


def _free_port(_: httpx.Client) -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_json_log_records_keep_body_service_and_trace() -> None:
    body = json.dumps(
        {
            "resourceLogs": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "orders"}}]},
                    "scopeLogs": [
                        {
                            "logRecords": [
                                {
                                    "timeUnixNano": str(NOW),
                                    "severityText": "WARN",
                                    "body": {"stringValue": "order 7 is late"},
                                    "traceId": "ab" * 16,
                                    "spanId": "cd" * 8,
                                },
                                {"observedTimeUnixNano": NOW + 1, "body": {"kvlistValue": {"values": []}}},
                                {"body": {"stringValue": "no time at all"}},
                            ]
                        }
                    ],
                }
            ]
        }
    ).encode()
    sink = Sink()
    reply = handle_export("/v1/logs", "application/json", "", body, LIMIT, sink)
    assert reply.status == 200
    assert json.loads(reply.body)["partialSuccess"]["rejectedLogRecords"] == "1"
    first, second = sink.received[0].logs
    assert (first.service, first.severity, first.body, first.trace_id, first.span_id) == (
        "orders",
        "WARN",
        "order 7 is late",
        "ab" * 16,
        "cd" * 8,
    )
    assert second.time_ns == NOW + 1 and second.trace_id == ""


def test_connections_are_bounded_and_freed(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from dockhand.telemetry import otlp
    from dockhand.telemetry import slots as limits

    monkeypatch.setattr(otlp, "MAX_CONNECTIONS", 3)
    monkeypatch.setattr(limits, "EVICT_AFTER_S", 600.0)  # here: no making room, a full house refuses
    sink = Sink()
    r = Receiver("127.0.0.1", 0, LIMIT, sink, "/nowhere/telemetry.sqlite3")
    assert r.start()
    idle = [socket.create_connection(("127.0.0.1", r.port)) for _ in range(3)]  # connected, never sending
    body, headers = traces_json(call_chain(NOW)[1]), {"Content-Type": "application/json"}
    try:
        with pytest.raises(httpx.TransportError):
            httpx.post(f"http://127.0.0.1:{r.port}/v1/traces", content=body, headers=headers, timeout=5)
        for s in idle:
            s.close()
        for _ in range(50):
            try:
                reply = httpx.post(f"http://127.0.0.1:{r.port}/v1/traces", content=body, headers=headers, timeout=5)
                break
            except httpx.TransportError:  # the freed slots are released as their threads notice the close
                time.sleep(0.1)
        assert reply.status_code == 200 and len(sink.received) == 1
    finally:
        r.stop()


def test_a_full_house_of_idle_connections_makes_room_for_an_honest_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every slot held by a connection that sends nothing: the newcomer gets in by cutting the longest-held one."""
    import socket

    from dockhand.telemetry import otlp
    from dockhand.telemetry import slots as limits

    monkeypatch.setattr(otlp, "MAX_CONNECTIONS", 3)
    monkeypatch.setattr(limits, "EVICT_AFTER_S", 0.2)
    sink = Sink()
    r = Receiver("127.0.0.1", 0, LIMIT, sink, "/nowhere/telemetry.sqlite3")
    assert r.start()
    idle = [socket.create_connection(("127.0.0.1", r.port)) for _ in range(3)]
    body, headers = traces_json(call_chain(NOW)[1]), {"Content-Type": "application/json"}
    try:
        time.sleep(0.3)
        reply = httpx.post(f"http://127.0.0.1:{r.port}/v1/traces", content=body, headers=headers, timeout=10)
        assert reply.status_code == 200 and len(sink.received) == 1
    finally:
        for s in idle:
            s.close()
        r.stop()


def test_a_trickling_request_is_cut_at_the_whole_request_deadline_with_408(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slowloris sender (promises a body, sends a byte now and then) gets 408 at the deadline, stores nothing."""
    import socket

    from dockhand.telemetry import slots as limits

    monkeypatch.setattr(limits, "REQUEST_DEADLINE_S", 0.5)
    sink = Sink()
    r = Receiver("127.0.0.1", 0, LIMIT, sink, "/nowhere/telemetry.sqlite3")
    assert r.start()
    try:
        with socket.create_connection(("127.0.0.1", r.port), timeout=20) as conn:
            conn.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            answer = b""
            while chunk := conn.recv(4096):  # the per-read timeout (30 s) never trips: the deadline must
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
                conn.sendall(b" ")
        assert answer.startswith(b"HTTP/1.1 408")
        assert sink.received == []
    finally:
        r.stop()

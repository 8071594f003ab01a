"""The embedded OTLP/HTTP receiver: /v1/traces and /v1/logs (protobuf or JSON, gzip) on loopback + bridge gateways.

One receiver per machine: the server that binds the loopback port first owns it; a later server finds it by
GET /dockhand/info (which names the owner's store file) and reads that store instead of failing on the port.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import logging
import shutil
import subprocess
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from dockhand import __version__
from dockhand.observe import metrics
from dockhand.telemetry import otlp_decode
from dockhand.telemetry import slots as limits
from dockhand.telemetry.model import Decoded
from dockhand.telemetry.slots import Slots

logger = logging.getLogger("dockhand.telemetry.otlp")

INFO_PATH = "/dockhand/info"
MAX_CONNECTIONS = 64
POLL_S = 0.5
"""How often a listener wakes when idle, to cut requests past their deadline (10 s) and to notice a close: each
wake takes the GIL, and with one listener per Docker bridge 0.1 s cost a third of the idle server's CPU."""
IDENTITY = "dockhand-otlp"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_DECODERS = {
    ("/v1/traces", PROTOBUF): otlp_decode.decode_traces_protobuf,
    ("/v1/traces", JSON): otlp_decode.decode_traces_json,
    ("/v1/logs", PROTOBUF): otlp_decode.decode_logs_protobuf,
    ("/v1/logs", JSON): otlp_decode.decode_logs_json,
}

_OUTCOMES = {
    200: "accepted",
    400: "rejected_decode",
    404: "rejected_route",
    408: "timeout",
    411: "rejected_length",
    413: "rejected_size",
    415: "rejected_type",
    503: "unavailable",
}

Sink = Callable[[Decoded], None]
"""Receives what a request decoded to; raising makes the receiver answer 503 (the sender retries)."""


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, content type and body."""

    status: int
    content_type: str
    body: bytes


class PayloadTooLarge(ValueError):
    """The body, or what it inflates to, is larger than the configured cap."""


def inflate(body: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo Content-Encoding (gzip/identity), never producing more than `max_bytes` (gzip-bomb safe)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise otlp_decode.MalformedPayload(f"unsupported Content-Encoding {encoding!r} (use gzip or none)")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise otlp_decode.MalformedPayload(f"gzip body is corrupt: {exc}") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"gzip body inflates beyond the {max_bytes}-byte limit")
    if not inflater.eof:
        raise otlp_decode.MalformedPayload("gzip body is truncated")
    return out


def _status_body(content_type: str, code: int, message: str) -> bytes:
    """A google.rpc.Status, as the OTLP spec asks for 4xx/5xx bodies (code: gRPC code number)."""
    if content_type == JSON:
        return json.dumps({"code": code, "message": message}).encode()
    encoded = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(encoded)) + encoded


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _success_body(path: str, content_type: str, decoded: Decoded) -> bytes:
    """ExportXServiceResponse; partial_success is set only when something was rejected (OTLP spec)."""
    is_traces = path == "/v1/traces"
    if content_type == JSON:
        if not decoded.rejected:
            return b"{}"
        key = "rejectedSpans" if is_traces else "rejectedLogRecords"
        partial = {key: str(decoded.rejected), "errorMessage": decoded.reason}
        return json.dumps({"partialSuccess": partial}).encode()
    response: ExportTraceServiceResponse | ExportLogsServiceResponse
    if is_traces:
        response = ExportTraceServiceResponse()
        if decoded.rejected:
            response.partial_success.rejected_spans = decoded.rejected
            response.partial_success.error_message = decoded.reason
    else:
        response = ExportLogsServiceResponse()
        if decoded.rejected:
            response.partial_success.rejected_log_records = decoded.rejected
            response.partial_success.error_message = decoded.reason
    return bytes(response.SerializeToString())


def handle_export(path: str, content_type: str, encoding: str, body: bytes, max_bytes: int, sink: Sink) -> Reply:
    """Answer one POST: decode, hand to `sink`, reply per OTLP/HTTP (pure apart from calling `sink`)."""
    media = content_type.split(";")[0].strip().lower()
    reply_type = JSON if media == JSON else PROTOBUF
    if path not in ("/v1/traces", "/v1/logs"):
        return Reply(404, reply_type, _status_body(reply_type, 5, f"no OTLP endpoint at {path}"))
    decoder = _DECODERS.get((path, media))
    if decoder is None:
        message = f"unsupported Content-Type {content_type!r}: send {PROTOBUF} or {JSON}"
        return Reply(415, reply_type, _status_body(reply_type, 3, message))
    try:
        decoded = decoder(inflate(body, encoding, max_bytes))
    except PayloadTooLarge as exc:
        return Reply(413, reply_type, _status_body(reply_type, 8, str(exc)))
    except (otlp_decode.MalformedPayload, ValueError, TypeError, AttributeError) as exc:
        return Reply(400, reply_type, _status_body(reply_type, 3, f"malformed OTLP request: {exc}"))
    try:
        sink(decoded)
    except Exception as exc:
        logger.exception("storing telemetry failed")
        return Reply(503, reply_type, _status_body(reply_type, 14, f"telemetry store unavailable: {exc}"))
    return Reply(200, reply_type, _success_body(path, reply_type, decoded))


def count_export(path: str, status: int) -> None:
    """dockhand_otlp_requests_total{route, outcome}: both labels from fixed sets, whatever path a sender uses."""
    route = path.split("?")[0]
    route = route if route in ("/v1/traces", "/v1/logs") else "other"
    metrics.OTLP_REQUESTS.labels(route=route, outcome=_OUTCOMES.get(status, "other")).inc()


class _Handler(BaseHTTPRequestHandler):
    server: _Listener
    protocol_version = "HTTP/1.1"
    timeout = 30  # per read; the whole request has limits.REQUEST_DEADLINE_S

    def handle_one_request(self) -> None:
        self.server.slots.restart(self.connection)
        super().handle_one_request()

    def do_POST(self) -> None:
        length_header = self.headers.get("Content-Length")
        reply_type = JSON if (self.headers.get("Content-Type") or "").startswith(JSON) else PROTOBUF
        if length_header is None or not length_header.isdigit():
            self._send(Reply(411, reply_type, _status_body(reply_type, 3, "Content-Length is required")), close=True)
            return
        length = int(length_header)
        if length > self.server.max_bytes:
            message = f"body of {length} bytes exceeds the {self.server.max_bytes}-byte limit"
            self._send(Reply(413, reply_type, _status_body(reply_type, 8, message)), close=True)
            return
        body = self.rfile.read(length)
        if len(body) < length:  # cut at the deadline (or the sender gave up): nothing complete to store
            message = f"request not complete within {self.server.slots.deadline_s:g} s"
            with contextlib.suppress(OSError):
                self._send(Reply(408, reply_type, _status_body(reply_type, 4, message)), close=True)
            self.close_connection = True
            return
        reply = handle_export(
            self.path.split("?")[0],
            self.headers.get("Content-Type") or "",
            self.headers.get("Content-Encoding") or "",
            body,
            self.server.max_bytes,
            self.server.sink,
        )
        self._send(reply)

    def do_GET(self) -> None:
        if self.path != INFO_PATH:
            self._send(Reply(404, JSON, _status_body(JSON, 5, "POST OTLP to /v1/traces or /v1/logs")))
            return
        info = {"service": IDENTITY, "version": __version__, "store": self.server.store_path}
        self._send(Reply(200, JSON, json.dumps(info).encode()))

    def _send(self, reply: Reply, close: bool = False) -> None:
        if self.command == "POST":
            count_export(self.path, reply.status)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("otlp %s " + format, self.client_address[0], *args)


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # on Linux this still refuses a second listener on a busy port

    def __init__(self, host: str, port: int, sink: Sink, max_bytes: int, store_path: str) -> None:
        self.sink = sink
        self.max_bytes = max_bytes
        self.store_path = store_path
        # Bounded connections, each with a whole-request deadline: neither a buggy exporter opening sockets in a
        # loop nor a swarm of slow senders can exhaust threads or lock honest exporters out.
        self.slots = Slots(MAX_CONNECTIONS, limits.REQUEST_DEADLINE_S, limits.EVICT_AFTER_S)
        super().__init__((host, port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.admit(request):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release(request)

    def service_actions(self) -> None:
        self.slots.expire()  # serve_forever calls this every poll (POLL_S)


def bridge_gateways() -> list[str]:
    """IPv4 addresses of the Docker bridges on this host (docker0, br-*): where containers reach the host."""
    ip = shutil.which("ip")
    if ip is None:
        return []
    try:
        argv = [ip, "-4", "-o", "addr", "show"]  # fixed argv, no shell
        out = subprocess.run(argv, capture_output=True, text=True, timeout=5).stdout  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and (parts[1] == "docker0" or parts[1].startswith("br-")) and parts[2] == "inet":
            found.append(parts[3].split("/")[0])
    return found


def bind_hosts(setting: str) -> list[str]:
    """The addresses to listen on: `auto` = loopback + bridge gateways; never a wildcard address."""
    if setting.strip().lower() in ("", "auto"):
        return ["127.0.0.1", *bridge_gateways()]
    hosts = []
    for item in setting.split(","):
        host = item.strip()
        with contextlib.suppress(ValueError):
            if ipaddress.ip_address(host).is_unspecified:
                logger.warning("refusing to listen on %s (all interfaces); using loopback", host)
                continue
        if host:
            hosts.append(host)
    return hosts or ["127.0.0.1"]


def probe_owner(port: int, timeout: float = 2.0) -> dict[str, Any] | None:
    """The info of a Dockhand receiver already on 127.0.0.1:`port`, or None if the port holds something else."""
    try:
        response = httpx.get(f"http://127.0.0.1:{port}{INFO_PATH}", timeout=timeout)
        info = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("service") == IDENTITY else None


class Receiver:
    """The listeners of one machine-wide receiver; `start()` says whether this process owns the port."""

    def __init__(self, host_setting: str, port: int, max_bytes: int, sink: Sink, store_path: str) -> None:
        self.host_setting = host_setting
        self.port = port
        self.max_bytes = max_bytes
        self.sink = sink
        self.store_path = store_path
        self._listeners: dict[str, _Listener] = {}
        self._lock = threading.Lock()

    @property
    def owner(self) -> bool:
        """True while this process holds the receiver's port."""
        return bool(self._listeners)

    @property
    def addresses(self) -> list[str]:
        """host:port of every listener."""
        return [f"{h}:{listener.server_address[1]}" for h, listener in self._listeners.items()]

    def start(self) -> bool:
        """Listen on every wanted address that is free; False when another process holds the port.

        Run again (telemetry maintenance does, every few seconds) it also closes the listeners of bridge networks
        that are gone: every `compose up` of a new project makes a network, and kept listeners (a thread and a
        socket each) piled up over a session — the soak saw +2 threads and +14 fds when other projects came and
        went."""
        with self._lock:
            wanted = bind_hosts(self.host_setting)
            gone = [host for host in self._listeners if host not in wanted]
            if gone:
                self._close(gone)
                logger.info("OTLP receiver stopped listening on %s (network gone)", ", ".join(gone))
            for host in wanted:
                if host in self._listeners:
                    continue
                try:
                    listener = _Listener(host, self.port, self.sink, self.max_bytes, self.store_path)
                except OSError as exc:
                    if exc.errno == errno.EADDRINUSE and not self._listeners:
                        return False  # someone owns this machine's receiver
                    logger.warning("OTLP receiver cannot listen on %s:%d: %s", host, self.port, exc.strerror)
                    continue
                if self.port == 0:
                    self.port = listener.server_address[1]  # tests ask for any port; keep the rest on it
                self._listeners[host] = listener
                serve = threading.Thread(
                    target=listener.serve_forever, args=(POLL_S,), name=f"otlp-{host}", daemon=True
                )
                serve.start()
                logger.info("OTLP receiver listening on http://%s:%d", host, self.port)
            return bool(self._listeners)

    def stop(self) -> None:
        """Close every listener."""
        with self._lock:
            self._close(list(self._listeners))

    def _close(self, hosts: list[str]) -> None:
        # Stop the listeners at once: each shutdown() waits for its loop's next poll, so the server's `shutdown`
        # answer is not held up by one wait per bridge network.
        closing = [self._listeners.pop(host) for host in hosts]
        stoppers = [threading.Thread(target=listener.shutdown) for listener in closing]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for listener in closing:
            listener.server_close()

"""Hostile neighbours: real local TCP/HTTP servers (threads on 127.0.0.1) that misbehave in one way each, and
hostile OTLP payloads. They stand in for a broken Spring Boot Actuator or a broken OpenTelemetry SDK."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Callable
from types import TracebackType

Behaviour = Callable[[socket.socket, threading.Event, "HostileServer"], None]


class HostileServer:
    """Serves `behaviour(connection, stopping)` for each connection on 127.0.0.1:<free port> until closed."""

    def __init__(self, behaviour: Behaviour, name: str) -> None:
        self.name = name
        self.connections = 0
        self.bytes_sent = 0
        self._stopping = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.connections += 1
                with contextlib.suppress(OSError):  # the client gave up: that is the point
                    behaviour(self.request, outer._stopping, outer)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"hostile-{name}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def black_hole() -> Behaviour:
    """Accepts, reads the request, never answers (until the test ends)."""

    def behave(conn: socket.socket, stopping: threading.Event, server: HostileServer) -> None:
        _read_request(conn)
        stopping.wait()

    return behave


def trickle(body: bytes = b'{"status":"UP"}', bytes_per_second: float = 1.0) -> Behaviour:
    """A valid HTTP answer, status line included, one byte a second: no single read ever times out."""

    def behave(conn: socket.socket, stopping: threading.Event, server: HostileServer) -> None:
        _read_request(conn)
        response = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        for i in range(len(response)):
            if stopping.wait(1 / bytes_per_second):
                return
            conn.sendall(response[i : i + 1])
            server.bytes_sent += 1

    return behave


def actuator_flood(size_bytes: int = 10_000_000) -> bytes:
    """Actuator-shaped health JSON of about `size_bytes`: hundreds of thousands of components, all UP."""
    per = len(json.dumps({"c0000000": {"status": "UP"}})) + 1
    components = {f"c{i:07d}": {"status": "UP"} for i in range(size_bytes // per)}
    return json.dumps({"status": "UP", "components": components}).encode()


def answer(body: bytes) -> Behaviour:
    """Answers at once, every time, with `body` (an honest health document, or 10 MB of JSON)."""

    def behave(conn: socket.socket, stopping: threading.Event, server: HostileServer) -> None:
        _read_request(conn)
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        conn.sendall(head.encode() + body)
        server.bytes_sent += len(head) + len(body)

    return behave


# --- hostile OTLP payloads ----------------------------------------------------------------------------------


def gzip_bomb(inflated_bytes: int = 1 << 30) -> bytes:
    """A gzip body of about 1 MB that inflates to `inflated_bytes` (1 GiB) of zeros."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [packer.compress(chunk) for _ in range(inflated_bytes // len(chunk))]
    parts.append(packer.flush())
    return b"".join(parts)


def garbage(size: int = 64 * 1024, seed: int = 8) -> bytes:
    """Bytes that are neither protobuf nor JSON (deterministic)."""
    out = bytearray()
    state = seed
    while len(out) < size:
        state = (state * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        out += state.to_bytes(8, "little")
    return bytes(out[:size])


def gzip_of(body: bytes) -> bytes:
    return gzip.compress(body)


def raw_post(url: str, path: str, body: bytes, headers: dict[str, str], timeout: float = 30) -> tuple[int, bytes]:
    """POST over a plain socket (so the test controls every header, lies included); (status, body)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        # A receiver may answer (413) and close before the body is through: then read the answer it sent.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head_part, _, rest = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head_part.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                if len(rest) >= length:
                    break
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        return status, data.partition(b"\r\n\r\n")[2]


def slow_sender(url: str, path: str, stop: threading.Event) -> None:
    """Opens a POST that promises 1 MB and sends one byte a second (a slowloris client), until `stop`."""
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-protobuf\r\n"
                f"Content-Length: 1000000\r\n\r\n".encode()
            )
            while not stop.wait(1.0):
                conn.sendall(b"\x0a")
    except OSError:
        pass

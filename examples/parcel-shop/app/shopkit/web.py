"""The service skeleton: routing with URI templates, traced handlers, Actuator and admin routes, a traced client."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shopkit import actuator, logs
from shopkit.chaos import Chaos, exit_later
from shopkit.tracing import CLIENT, SERVER, exporter, parse_traceparent, start_span

ACTUATOR_JSON = "application/vnd.spring-boot.actuator.v3+json"
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Request:
    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is the caller's mistake (400), not the service's."""
        try:
            return json.loads(self.body or b"{}")
        except ValueError as exc:
            raise HttpError(400, f"the body is not JSON: {exc}") from exc


@dataclass
class Response:
    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


class HttpError(Exception):
    """Raise from a handler to answer with a status and a Spring-style error body."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message or HTTPStatus(status).phrase)
        self.status = status


Handler = Callable[[Request], Response | dict[str, Any] | list[Any]]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


def call(method: str, url: str, route: str, body: Any = None, timeout: float = 5.0) -> Reply:
    """An outgoing HTTP call in a CLIENT span whose id travels in `traceparent`. 4xx/5xx are replies, not errors;
    an unreachable peer raises HttpError(503)."""
    parts = urllib.parse.urlsplit(url)
    attrs = {
        "http.request.method": method,
        "url.full": url,
        "server.address": parts.hostname or "",
        "server.port": parts.port or 80,
    }
    with start_span(f"{method} {route}", CLIENT, **attrs) as span:
        data = None if body is None else json.dumps(body).encode()
        headers = {"traceparent": span.context.traceparent(), "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (OSError, urllib.error.URLError) as exc:
            span.fail(str(exc))
            raise HttpError(503, f"{parts.hostname} is unavailable: {getattr(exc, 'reason', exc)}") from exc
        span.attributes["http.response.status_code"] = status
        if status >= 500:
            span.fail(f"HTTP {status}")
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Reply(status, parsed)


class Service:
    """One microservice: `@svc.route("GET", "/parcels/{id}")` handlers plus `/actuator/*` and `/admin/*`."""

    def __init__(self, name: str, logger: str, checks: dict[str, actuator.HealthCheck] | None = None) -> None:
        threading.current_thread().name = "main"
        self.name = os.environ.get("OTEL_SERVICE_NAME", name)
        logs.configure(self.name, os.environ.get("LOG_FORMAT", "spring"))
        exporter.configure(self.name)
        self.log = logging.getLogger(logger)
        self.checks: dict[str, actuator.HealthCheck] = {"ping": actuator.ping, "diskSpace": actuator.disk_space("/")}
        self.checks.update(checks or {})
        self.metrics = actuator.Metrics(self.name)
        self.chaos = Chaos.from_env()
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        self.route("GET", "/actuator")(self._actuator_index)
        self.route("GET", "/actuator/health")(self._health)
        self.route("GET", "/actuator/health/{component}")(self._component_health)
        self.route("GET", "/actuator/prometheus")(lambda _: Response(200, self.metrics.render(), PROMETHEUS_TEXT))
        self.route("GET", "/admin/chaos")(lambda _: self.chaos.snapshot())
        self.route("POST", "/admin/chaos")(self._set_chaos)
        self.route("DELETE", "/admin/chaos")(self._reset_chaos)
        self.route("POST", "/admin/exit")(self._exit)

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")

        def register(handler: Handler) -> Handler:
            self._routes.append((method, template, pattern, handler))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[str, Handler | None, dict[str, str]]:
        """(templated uri, handler, path params); Spring's uri labels NOT_FOUND when nothing matches."""
        allowed = False
        for route_method, template, pattern, handler in self._routes:
            found = pattern.match(path)
            if found and route_method == method:
                return template, handler, found.groupdict()
            allowed = allowed or bool(found)
        return ("UNKNOWN" if allowed else "NOT_FOUND"), None, {}

    def run(self) -> None:
        port = int(os.environ.get("SERVER_PORT", "8080"))
        started = time.monotonic()
        server = ThreadingHTTPServer(("0.0.0.0", port), _handler_for(self))
        server.daemon_threads = True
        exporter.start()

        def stop(signum: int, _frame: object) -> None:
            self.log.info("Commencing graceful shutdown (signal %d)", signum)
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.log.info("HTTP server started on port %d (http)", port)
        self.log.info("Started %s in %.3f seconds", self.name, time.monotonic() - started)
        server.serve_forever(poll_interval=0.2)
        exporter.flush()
        self.log.info("Graceful shutdown complete")

    # --- built-in routes -----------------------------------------------------------------------------------
    def _actuator_index(self, request: Request) -> Response:
        base = f"http://{request.headers.get('host', 'localhost')}/actuator"
        links = {n: {"href": f"{base}/{n}", "templated": False} for n in ("health", "prometheus")}
        return Response(200, {"_links": {"self": {"href": base, "templated": False}, **links}}, ACTUATOR_JSON)

    def _health(self, _request: Request) -> Response:
        status, body = actuator.health(self.checks, self.chaos.snapshot()["health"])
        return Response(status, body, ACTUATOR_JSON)

    def _component_health(self, request: Request) -> Response:
        _, body = actuator.health(self.checks, self.chaos.snapshot()["health"])
        component = body["components"].get(request.params["component"])
        if component is None:
            raise HttpError(404, f"no health component {request.params['component']!r}")
        return Response(503 if component["status"] in actuator.UNAVAILABLE else 200, component, ACTUATOR_JSON)

    def _set_chaos(self, request: Request) -> dict[str, Any]:
        try:
            self.chaos.update(request.json())
        except (ValueError, TypeError, AttributeError) as exc:
            raise HttpError(400, str(exc)) from exc
        return self.chaos.snapshot()

    def _reset_chaos(self, _request: Request) -> dict[str, Any]:
        self.chaos.reset()
        self.log.info("Chaos knobs reset")
        return self.chaos.snapshot()

    def _exit(self, request: Request) -> Response:
        try:
            code = int(request.json().get("code", 1))
        except (ValueError, TypeError, AttributeError) as exc:
            raise HttpError(400, 'expected {"code": <0..255>}') from exc
        exit_later(code, 0.2)
        return Response(202, {"exiting_with": code})

    # --- one request -------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        split = urllib.parse.urlsplit(target)
        route, handler, params = self.match(method, split.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(split.query).items()}
        request = Request(method, split.path, route, params, query, headers, body)
        parent = parse_traceparent(headers.get("traceparent"))
        attrs = {"http.request.method": method, "url.path": split.path, "http.route": route}
        started = time.perf_counter()
        exception = "none"
        with start_span(f"{method} {route}", SERVER, parent, **attrs) as span:
            try:
                if handler is None:
                    raise HttpError(405 if route == "UNKNOWN" else 404)
                if delay := self.chaos.latency_s(route):
                    time.sleep(delay)
                if self.chaos.should_fail(route):
                    raise HttpError(500, "Injected failure (chaos error_rate)")
                result = handler(request)
                response = result if isinstance(result, Response) else Response(200, result)
            except HttpError as exc:
                response = self._error(exc.status, str(exc), split.path)
                if exc.status >= 500:
                    exception = "HttpError"
                    self.log.error("Request %s %s failed: %s", method, split.path, exc)
            except Exception as exc:
                exception = type(exc).__name__
                self.log.exception("Request %s %s failed", method, split.path)
                response = self._error(500, str(exc), split.path)
            span.attributes["http.response.status_code"] = response.status
            # Health probes every few seconds, and tools probing for paths this service lacks (Dockhand looks for
            # /v3/api-docs and friends once per start), would drown the traces people look for: an untraced request
            # to /actuator or to no route at all (NOT_FOUND, UNKNOWN) is not exported.
            span.export = parent is not None or not (route.startswith("/actuator") or handler is None)
            if response.status >= 500:
                span.fail(f"HTTP {response.status}")
        self.metrics.record(method, route, response.status, time.perf_counter() - started, exception)
        return response

    @staticmethod
    def _error(status: int, message: str, path: str) -> Response:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
        body = {
            "timestamp": stamp,
            "status": status,
            "error": HTTPStatus(status).phrase,
            "message": message,
            "path": path,
        }
        return Response(status, body)


_thread_numbers = itertools.count(1)


def _handler_for(service: Service) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "shopkit"

        def setup(self) -> None:
            super().setup()
            threading.current_thread().name = f"http-exec-{next(_thread_numbers)}"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            response = service.handle(self.command, self.path, headers, body)
            payload = response.encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # Spring does not log every request either; the services log what they do

    return _Handler

"""ObservedProtocol: pygls's LanguageServerProtocol that times every LSP message and traces it when asked.

The seam is `_execute_handler`, the one place every request and notification handler (sync, async, threaded or
generator) is started with a completion callback; `_handle_request` / `_handle_notification` name the method just
before it. Only registered methods reach it, so the `method` label cannot be flooded by a client making names up.
Observation starts on `initialized` (settings, including initializationOptions, are final then) and stops on
`shutdown`. The same seam also stops pygls from keeping a finished notification's future forever (see _forgetting).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, LanguageServerProtocol

from dockhand.config import Settings
from dockhand.errors import DiagnosticError
from dockhand.observe import metrics, tracing

logger = logging.getLogger("dockhand.observe")


class ObservedProtocol(LanguageServerProtocol):
    """Times each handler into metrics.LSP_SECONDS and wraps it in a span when self-tracing is on."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        # pygls turns the params of methods it has no type for into namedtuples, making a new class per message;
        # classes are cyclic garbage, and the soak showed them piling up (RSS +3 MB/min with dockhand/services
        # and edits, whose parses freeze the GC's survivors). Dockhand's own methods keep the client's plain JSON.
        method = data.get("method")
        if "jsonrpc" in data and isinstance(method, str) and method.startswith("dockhand/") and "result" not in data:
            if "id" in data:
                return JsonRPCRequestMessage(data["id"], method, data["jsonrpc"], data.get("params"))
            return JsonRPCNotification(method, data["jsonrpc"], data.get("params"))
        return super().structure_message(data)

    _announced: tuple[str, str] | None = None  # (method, kind) of the message about to be dispatched
    _endpoint: metrics.MetricsEndpoint | None = None

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        self._announced = (method_name, "request")
        try:
            super()._handle_request(msg_id, method_name, params)
        finally:
            self._announced = None
        if method_name == types.SHUTDOWN:
            self.stop_observing()

    def _handle_notification(self, method_name: str, params: Any) -> None:
        self._announced = (method_name, "notification")
        try:
            super()._handle_notification(method_name, params)
        finally:
            self._announced = None
        if method_name == types.INITIALIZED:
            self.start_observing(getattr(self._server, "settings", None))

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        # Nested handlers (pygls's built-in generators yield to the user's handler) are not announced: one
        # observation per message.
        announced, self._announced = self._announced, None
        if announced is None:
            super()._execute_handler(msg_id, handler, self._forgetting(msg_id, callback), args, kwargs)
            return
        method, kind = announced
        started = time.perf_counter()
        span = tracing.start_span(f"lsp {method}", {"lsp.method": method, "lsp.kind": kind})

        def observed(future: Future[Any]) -> None:
            outcome = _outcome(future)
            metrics.LSP_SECONDS.labels(method=method, kind=kind, outcome=outcome).observe(time.perf_counter() - started)
            tracing.end_span(span, outcome)
            if kind == "notification":
                self._request_futures.pop(msg_id, None)
            callback(future)

        with tracing.current(span):
            super()._execute_handler(msg_id, handler, observed, args, kwargs)

    def _forgetting(self, msg_id: Any, callback: Any) -> Any:
        """`callback`, after dropping the future pygls tracked under `msg_id`.

        pygls (2.1) keeps the future of every generator, async or threaded handler in `_request_futures` so a
        request can be cancelled, but pops it only when answering a request: notifications (didOpen, didChange…)
        and the user handlers its built-in generators yield to stay there forever — one entry per keystroke.
        Forgetting them when they finish keeps the server's memory flat under editing."""

        def forget(future: Future[Any]) -> None:
            self._request_futures.pop(msg_id, None)
            callback(future)

        return forget

    def start_observing(self, settings: Settings | None) -> None:
        """Open the metrics endpoint and start self-tracing as the settings ask; a failure is a warning."""
        if settings is None:
            return
        if settings.metrics_port and self._endpoint is None:
            try:
                self._endpoint = metrics.serve(settings.metrics_port)
            except DiagnosticError as err:
                logger.warning("%s — %s", err.message, err.remediation)
            metrics.LSP_TRACKED.set_function(lambda: float(len(self._request_futures)))
            live = getattr(self._server, "live", None)
            if live is not None:  # the live state store's sizes, read from its immutable snapshot at scrape time
                metrics.measure_store("containers", lambda: len(live.store.snapshot.containers))
                metrics.measure_store("projects", lambda: len(live.store.snapshot.projects))
                metrics.measure_store("actuator_targets", lambda: len(live.store.snapshot.actuator))
        if settings.self_tracing and not tracing.enabled():
            if settings.otlp_port:
                tracing.configure(f"http://127.0.0.1:{settings.otlp_port}/v1/traces")
            else:
                logger.warning(
                    "self-tracing is on but the OTLP receiver is off — set DOCKHAND_OTLP_PORT to a port to see "
                    "Dockhand's own spans"
                )

    def stop_observing(self) -> None:
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None
        tracing.shutdown()


def _outcome(future: Future[Any]) -> str:
    if future.cancelled():
        return "cancelled"
    return "ok" if future.exception() is None else "error"

"""Spans of the server's own work, exported over OTLP/HTTP to its own receiver when DOCKHAND_SELF_TRACING is on.

Uses the OpenTelemetry SDK and its OTLP/HTTP (protobuf) exporter. Until `configure` runs, every span is a no-op,
so instrumented code costs next to nothing when self-tracing is off. Usage from any module::

    from dockhand.observe import tracing
    with tracing.span("compose.config", project=name):
        ...

Never trace the OTLP receiver's own ingest path: each exported batch would produce a span to export, forever.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from dockhand import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

logger = logging.getLogger("dockhand.observe")

SERVICE_NAME = "dockhand"
_provider: TracerProvider | None = None
_tracer: trace.Tracer = trace.NoOpTracer()


def configure(endpoint: str) -> None:
    """Start exporting spans to `endpoint` (…/v1/traces). The queue is bounded, so a dead receiver costs no memory."""
    global _provider, _tracer
    # The SDK and its exporter (protobuf, requests) are imported only here: with self-tracing off (the default) the
    # server never pays for them, and with it on they load after the start-up, not before the first diagnostics.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    shutdown()
    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME, "service.version": __version__}),
        shutdown_on_exit=False,  # `shutdown()` runs on LSP shutdown; an atexit hook would block a crashed exit
    )
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=2)
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=2048, schedule_delay_millis=1000))
    _provider, _tracer = provider, provider.get_tracer("dockhand", __version__)
    logger.info("self-tracing: spans go to %s", endpoint)


def enabled() -> bool:
    return _provider is not None


def shutdown() -> None:
    """Flush what is queued (briefly) and stop exporting."""
    global _provider, _tracer
    provider, _provider, _tracer = _provider, None, trace.NoOpTracer()
    if provider is not None:
        provider.force_flush(timeout_millis=2000)
        provider.shutdown()


@contextmanager
def span(name: str, **attributes: str | int | float | bool) -> Iterator[Span]:
    """A span around a block of the server's work, child of the current one (e.g. the LSP request's)."""
    with _tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current


def start_span(name: str, attributes: dict[str, Any]) -> Span:
    """A span that the caller ends with `end_span` (for work that finishes in a callback)."""
    return _tracer.start_span(name, attributes=attributes)


def end_span(current: Span, outcome: str) -> None:
    if outcome != "ok":
        current.set_status(Status(StatusCode.ERROR, outcome))
    current.end()


@contextmanager
def current(active: Span) -> Iterator[None]:
    """Make `active` the parent of spans started inside the block (and of tasks created in it)."""
    with trace.use_span(active, end_on_exit=False):
        yield

"""Trace providers for stacks that already run a backend (Jaeger v3, Zipkin v2, Tempo), chosen by settings."""

from __future__ import annotations

import httpx

from dockhand.errors import DiagnosticError
from dockhand.telemetry.providers.base import TraceProvider

__all__ = ["DEFAULT_URLS", "TraceProvider", "create_provider"]


def create_provider(kind: str, url: str, transport: httpx.AsyncBaseTransport | None = None) -> TraceProvider | None:
    """The provider named by DOCKHAND_TRACE_PROVIDER (None for `otlp`/`none`)."""
    if kind not in ("jaeger", "zipkin", "tempo"):
        return None
    if not url:
        raise DiagnosticError(
            f"DOCKHAND_TRACE_PROVIDER={kind} needs the query API's URL",
            f"Set DOCKHAND_TRACE_URL, e.g. {DEFAULT_URLS[kind]}.",
            "bad-setting",
        )
    from dockhand.telemetry.providers import jaeger, tempo, zipkin

    classes: dict[str, type[TraceProvider]] = {
        "jaeger": jaeger.JaegerProvider,
        "zipkin": zipkin.ZipkinProvider,
        "tempo": tempo.TempoProvider,
    }
    return classes[kind](url, transport=transport)


DEFAULT_URLS = {"jaeger": "http://localhost:16686", "zipkin": "http://localhost:9411", "tempo": "http://localhost:3200"}

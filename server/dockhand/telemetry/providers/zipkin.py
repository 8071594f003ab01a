"""Zipkin's v2 API (/api/v2/services, /spans, /traces, /trace/{id}): Zipkin JSON v2 spans → Span."""

from __future__ import annotations

from typing import Any

from dockhand.telemetry.model import KIND_NUMBERS, STATUS_ERROR, Span, is_hex_id
from dockhand.telemetry.providers.base import TraceProvider


def span_from_zipkin(raw: Any) -> Span | None:
    """One Zipkin v2 span (timestamp/duration in µs, 64-bit trace ids left-padded to 128) → Span."""
    if not isinstance(raw, dict):
        return None
    trace_id = str(raw.get("traceId", "")).lower().rjust(32, "0")
    span_id = str(raw.get("id", "")).lower()
    if not is_hex_id(trace_id, 32) or not is_hex_id(span_id, 16) or "timestamp" not in raw:
        return None
    tags = raw.get("tags") or {}
    endpoint = raw.get("localEndpoint") or {}
    kind = KIND_NUMBERS.get(str(raw.get("kind", "internal")).lower(), 1)
    return Span(
        trace_id,
        span_id,
        str(raw.get("parentId", "")).lower(),
        str(endpoint.get("serviceName") or "unknown_service"),
        str(raw.get("name", "")),
        kind,
        int(raw["timestamp"]) * 1000,
        int(raw.get("duration", 0)) * 1000,
        STATUS_ERROR if "error" in tags else 0,
        {str(k): v for k, v in tags.items()},
    )


def spans_from_list(items: Any) -> list[Span]:
    """A list of Zipkin spans → the valid ones."""
    spans = [span_from_zipkin(item) for item in items or []] if isinstance(items, list) else []
    return [s for s in spans if s is not None]


class ZipkinProvider(TraceProvider):
    """Zipkin (or anything that serves its v2 API, e.g. the OpenTelemetry Collector's zipkin exporter target)."""

    name = "Zipkin"

    async def services(self) -> list[str]:
        document = await self._get("/api/v2/services")
        return sorted(document) if isinstance(document, list) else []

    async def operations(self, service: str) -> list[str]:
        document = await self._get("/api/v2/spans", {"serviceName": service})
        return sorted(document) if isinstance(document, list) else []

    async def search(
        self,
        service: str | None,
        operation: str | None,
        min_duration_ms: float,
        since_ns: int,
        until_ns: int,
        limit: int,
    ) -> list[Span]:
        params: dict[str, Any] = {
            "endTs": until_ns // 1_000_000,
            "lookback": max(1, (until_ns - since_ns) // 1_000_000),
            "limit": limit,
        }
        if service:
            params["serviceName"] = service
        if operation:
            params["spanName"] = operation
        if min_duration_ms > 0:
            params["minDuration"] = int(min_duration_ms * 1000)
        document = await self._get("/api/v2/traces", params)
        traces = document if isinstance(document, list) else []
        return [span for trace in traces for span in spans_from_list(trace)]

    async def trace(self, trace_id: str) -> list[Span]:
        return spans_from_list(await self._get(f"/api/v2/trace/{trace_id}"))

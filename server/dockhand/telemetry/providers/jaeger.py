"""Jaeger's v3 query API (/api/v3/services, /operations, /traces with query.* parameters, /traces/{id}): OTLP JSON."""

from __future__ import annotations

import json
from typing import Any

from dockhand.telemetry.model import Span
from dockhand.telemetry.otlp_decode import decode_traces_json
from dockhand.telemetry.providers.base import TraceProvider, rfc3339


def spans_from_results(document: Any) -> list[Span]:
    """`{"result": {"resourceSpans": [...]}}` (one per streamed chunk, so maybe a list of them) → spans."""
    chunks = document if isinstance(document, list) else [document]
    spans: list[Span] = []
    for chunk in chunks:
        result = chunk.get("result") if isinstance(chunk, dict) else None
        if isinstance(result, dict):
            spans.extend(decode_traces_json(json.dumps(result).encode()).spans)
    return spans


class JaegerProvider(TraceProvider):
    """Jaeger v2 (and v1 ≥ 1.x with api_v3) through its HTTP gateway on the query port (16686)."""

    name = "Jaeger"

    async def services(self) -> list[str]:
        document = await self._get("/api/v3/services")
        return sorted(document.get("services") or []) if isinstance(document, dict) else []

    async def operations(self, service: str) -> list[str]:
        document = await self._get("/api/v3/operations", {"service": service})
        operations = document.get("operations") or [] if isinstance(document, dict) else []
        return sorted({o["name"] for o in operations if isinstance(o, dict) and "name" in o})

    async def search(
        self,
        service: str | None,
        operation: str | None,
        min_duration_ms: float,
        since_ns: int,
        until_ns: int,
        limit: int,
    ) -> list[Span]:
        # Jaeger requires a service: without one, ask each service in turn.
        services = [service] if service else await self.services()
        spans: list[Span] = []
        for name in services:
            params: dict[str, Any] = {
                "query.service_name": name,
                "query.start_time_min": rfc3339(since_ns),
                "query.start_time_max": rfc3339(until_ns),
                "query.search_depth": limit,
            }
            if operation:
                params["query.operation_name"] = operation
            if min_duration_ms > 0:
                params["query.duration_min"] = f"{min_duration_ms / 1000:.6f}s"
            spans.extend(spans_from_results(await self._get("/api/v3/traces", params)))
        return spans

    async def trace(self, trace_id: str) -> list[Span]:
        return spans_from_results(await self._get(f"/api/v3/traces/{trace_id}"))

"""Grafana Tempo's API (/api/search with TraceQL, /api/search/tag/service.name/values, /api/v2/traces/{id})."""

from __future__ import annotations

import json
from typing import Any

from dockhand.telemetry.model import Span
from dockhand.telemetry.otlp_decode import decode_traces_json
from dockhand.telemetry.providers.base import TraceProvider


def traceql(service: str | None, operation: str | None, min_duration_ms: float) -> str:
    """A TraceQL span-set filter for the search parameters (`{}` matches every trace)."""
    conditions = []
    if service:
        conditions.append(f"resource.service.name = {json.dumps(service)}")
    if operation:
        conditions.append(f"name = {json.dumps(operation)}")
    if min_duration_ms > 0:
        conditions.append(f"duration >= {min_duration_ms:g}ms")
    return "{" + " && ".join(conditions) + "}"


def spans_from_trace(document: Any) -> list[Span]:
    """`{"trace": {"resourceSpans"|"batches": [...]}}` (v2) or a bare OTLP document (v1) → spans."""
    if not isinstance(document, dict):
        return []
    trace = document.get("trace", document)
    if not isinstance(trace, dict):
        return []
    resource_spans = trace.get("resourceSpans") or trace.get("batches") or []
    return decode_traces_json(json.dumps({"resourceSpans": resource_spans}).encode()).spans


class TempoProvider(TraceProvider):
    """Tempo's query frontend (port 3200)."""

    name = "Tempo"

    async def services(self) -> list[str]:
        document = await self._get("/api/search/tag/service.name/values")
        values = document.get("tagValues") or [] if isinstance(document, dict) else []
        # v1 answers plain strings, v2 answers {"type", "value"} objects.
        return sorted(v["value"] if isinstance(v, dict) else str(v) for v in values)

    async def operations(self, service: str) -> list[str]:
        document = await self._get("/api/search/tag/name/values", {"q": traceql(service, None, 0)})
        values = document.get("tagValues") or [] if isinstance(document, dict) else []
        return sorted(v["value"] if isinstance(v, dict) else str(v) for v in values)

    async def search(
        self,
        service: str | None,
        operation: str | None,
        min_duration_ms: float,
        since_ns: int,
        until_ns: int,
        limit: int,
    ) -> list[Span]:
        params = {
            "q": traceql(service, operation, min_duration_ms),
            "limit": limit,
            "start": since_ns // 1_000_000_000,
            "end": max(until_ns // 1_000_000_000, since_ns // 1_000_000_000 + 1),
        }
        document = await self._get("/api/search", params)
        found = document.get("traces") or [] if isinstance(document, dict) else []
        # Search answers summaries; the span trees come from the trace-by-id endpoint.
        spans: list[Span] = []
        for item in found[:limit]:
            if isinstance(item, dict) and item.get("traceID"):
                spans.extend(await self.trace(str(item["traceID"])))
        return spans

    async def trace(self, trace_id: str) -> list[Span]:
        return spans_from_trace(await self._get(f"/api/v2/traces/{trace_id}"))

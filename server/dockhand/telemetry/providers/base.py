"""What every trace provider is (TraceProvider) and shares: JSON documents, RFC 3339 times, the unreachable error."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Any

import httpx

from dockhand.errors import DiagnosticError
from dockhand.telemetry.model import Span


class TraceProvider(ABC):
    """A query API of a tracing backend, reduced to what Dockhand asks of it."""

    name = "provider"

    def __init__(self, base_url: str, timeout_s: float = 10.0, transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s, transport=transport)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document (several concatenated documents come back as a list); errors say what to fix."""
        try:
            response = await self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise provider_unreachable(self.name, self.base_url, str(exc)) from None
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise provider_unreachable(self.name, self.base_url, f"HTTP {response.status_code} on {path}")
        return parse_json_documents(response.text)

    @abstractmethod
    async def services(self) -> list[str]:
        """Service names the backend knows."""

    @abstractmethod
    async def operations(self, service: str) -> list[str]:
        """Operation (span) names of one service."""

    @abstractmethod
    async def search(
        self,
        service: str | None,
        operation: str | None,
        min_duration_ms: float,
        since_ns: int,
        until_ns: int,
        limit: int,
    ) -> list[Span]:
        """Spans of the traces that match (whole traces where the API returns them)."""

    @abstractmethod
    async def trace(self, trace_id: str) -> list[Span]:
        """Every span of one trace ([] when unknown)."""


def parse_json_documents(text: str) -> Any:
    """One JSON document, or a list of them when a streaming API concatenated several."""
    decoder = json.JSONDecoder()
    documents = []
    index = 0
    text = text.strip()
    while index < len(text):
        document, index = decoder.raw_decode(text, index)
        documents.append(document)
        while index < len(text) and text[index] in " \r\n\t":
            index += 1
    if not documents:
        return None
    return documents[0] if len(documents) == 1 else documents


def rfc3339(time_ns: int) -> str:
    """Unix ns → RFC 3339 with nanoseconds, as Jaeger's query.start_time_* want."""
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def provider_unreachable(name: str, url: str, detail: str) -> DiagnosticError:
    """The configured backend does not answer as its API documents."""
    return DiagnosticError(
        f"{name} query API at {url} failed: {detail}",
        "Check DOCKHAND_TRACE_URL (the query API's base URL) and that the backend runs, "
        "or set DOCKHAND_TRACE_PROVIDER=otlp to use Dockhand's own receiver.",
        "trace-provider",
    )

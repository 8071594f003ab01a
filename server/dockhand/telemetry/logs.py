"""Trace ids in plain log lines, and bounded per-container buffers that answer "every line of this trace"."""

from __future__ import annotations

import re
import sys
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

# Spring Boot 3.2+ logging.pattern.correlation: "[<traceId>-<spanId>] " (also "[app,trace,span]" Sleuth style).
_SPRING = re.compile(r"\[(?:[\w.-]*,)?([0-9a-f]{32})[-,]([0-9a-f]{16})\]")
# JSON lines: "trace_id"/"traceId"/"trace.id" (ECS) and the matching span keys.
_JSON_TRACE = re.compile(r'"(?:trace_id|traceId|trace\.id|traceid)"\s*:\s*"([0-9a-fA-F]{32})"')
_JSON_SPAN = re.compile(r'"(?:span_id|spanId|span\.id|spanid)"\s*:\s*"([0-9a-fA-F]{16})"')
# W3C traceparent: version-traceid-parentid-flags.
_TRACEPARENT = re.compile(r"\b[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}\b")
# logfmt / key=value: trace_id=… span_id=…
_KV_TRACE = re.compile(r"\btrace_?id=([0-9a-fA-F]{32})\b", re.IGNORECASE)
_KV_SPAN = re.compile(r"\bspan_?id=([0-9a-fA-F]{16})\b", re.IGNORECASE)
_ZERO_TRACE = "0" * 32


def extract_trace(line: str) -> tuple[str, str] | None:
    """(trace id, span id or "") carried by a log line, in lower case; None when it carries none."""
    match = _SPRING.search(line)
    if match:
        trace_id, span_id = match.group(1), match.group(2)
    elif (match := _JSON_TRACE.search(line)) is not None:
        trace_id = match.group(1).lower()
        span = _JSON_SPAN.search(line)
        span_id = span.group(1).lower() if span else ""
    elif (match := _TRACEPARENT.search(line)) is not None:
        trace_id, span_id = match.group(1), match.group(2)
    elif (match := _KV_TRACE.search(line)) is not None:
        trace_id = match.group(1).lower()
        span = _KV_SPAN.search(line)
        span_id = span.group(1).lower() if span else ""
    else:
        return None
    return None if trace_id == _ZERO_TRACE else (trace_id, span_id)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One container log line with the trace it carries."""

    service: str
    container: str
    time_ns: int
    text: str
    trace_id: str
    span_id: str

    def to_payload(self) -> dict[str, Any]:
        """The dockhand/traceLogs line shape."""
        payload: dict[str, Any] = {
            "service": self.service,
            "container": self.container,
            "timestamp": str(self.time_ns),
            "line": self.text,
            "traceId": self.trace_id,
        }
        if self.span_id:
            payload["spanId"] = self.span_id
        return payload


# A buffered entry: (time_ns, text, trace_id or None). Only atomic values, so the garbage collector stops
# tracking these tuples and 100k-line buffers neither weigh on it nor pause queries; the trace id is interned
# (one string per trace), the span id is re-read from the text of the few lines a query returns.
_Entry = tuple[int, str, str | None]


class ContainerBuffer:
    """The newest `max_lines` lines of one container, indexed by trace id (eviction keeps the index exact)."""

    def __init__(self, container: str, service: str, max_lines: int) -> None:
        self.container = container
        self.service = service
        self.max_lines = max_lines
        self._lines: deque[_Entry] = deque()
        self._by_trace: dict[str, list[_Entry]] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, time_ns: int, text: str) -> str | None:
        """Buffer a line; returns the trace id it carries."""
        found = extract_trace(text)
        trace_id = sys.intern(found[0]) if found else None
        entry: _Entry = (time_ns, text, trace_id)
        self._lines.append(entry)
        if trace_id is not None:
            self._by_trace.setdefault(trace_id, []).append(entry)
        while len(self._lines) > self.max_lines:
            self._evict()
        return trace_id

    def _evict(self) -> None:
        old = self._lines.popleft()
        if old[2] is not None:
            entries = self._by_trace[old[2]]
            del entries[0]  # lines of a trace are evicted in the order they arrived
            if not entries:
                del self._by_trace[old[2]]

    def drop_before(self, time_ns: int) -> None:
        """Forget lines older than `time_ns` (the correlation window)."""
        while self._lines and self._lines[0][0] < time_ns:
            self._evict()

    def for_trace(self, trace_id: str) -> list[LogLine]:
        """This container's lines of one trace."""
        out = []
        for t, text, _ in self._by_trace.get(trace_id, ()):
            found = extract_trace(text)
            out.append(LogLine(self.service, self.container, t, text, trace_id, found[1] if found else ""))
        return out

    def trace_count(self) -> int:
        """Trace ids indexed."""
        return len(self._by_trace)

    def newest_time_ns(self) -> int:
        """Time of the newest buffered line (0 when empty): where a restarted follower resumes."""
        return self._lines[-1][0] if self._lines else 0


class LogCorrelator:
    """Every followed container's buffer; thread-safe (followers add from their threads)."""

    def __init__(self, max_lines: int = 20_000, window_s: float = 900.0) -> None:
        self.max_lines = max_lines
        self.window_s = window_s
        self._buffers: dict[str, ContainerBuffer] = {}
        self._lock = threading.Lock()

    def buffer(self, container: str, service: str) -> ContainerBuffer:
        """The buffer of a container (created on first use)."""
        with self._lock:
            return self._buffer(container, service)

    def _buffer(self, container: str, service: str) -> ContainerBuffer:
        found = self._buffers.get(container)
        if found is None:
            found = self._buffers[container] = ContainerBuffer(container, service, self.max_lines)
        return found

    def add(self, container: str, service: str, time_ns: int, text: str) -> str | None:
        """Buffer one line of a container; returns its trace id."""
        with self._lock:  # found and filled under one lock: prune() drops empty buffers
            return self._buffer(container, service).add(time_ns, text)

    def add_many(self, container: str, service: str, lines: list[tuple[int, str]]) -> None:
        """Buffer a batch of (time_ns, text) lines of one container under one lock."""
        with self._lock:
            buffer = self._buffer(container, service)
            for time_ns, text in lines:
                buffer.add(time_ns, text)

    def forget(self, container: str) -> None:
        """Drop a removed container's buffer."""
        with self._lock:
            self._buffers.pop(container, None)

    def prune(self, now_ns: int) -> None:
        """Apply the time window to every buffer; forget buffers left empty (containers long gone or quiet)."""
        cutoff = now_ns - int(self.window_s * 1e9)
        with self._lock:
            for container, buffer in list(self._buffers.items()):
                buffer.drop_before(cutoff)
                if not len(buffer):
                    del self._buffers[container]

    def lines_for_trace(self, trace_id: str) -> list[LogLine]:
        """Every buffered line of every container that carries `trace_id`, in time order."""
        trace_id = trace_id.lower()
        with self._lock:
            found = [line for buffer in self._buffers.values() for line in buffer.for_trace(trace_id)]
        found.sort(key=lambda line: (line.time_ns, line.container))
        return found

    def resume_time_ns(self, container: str) -> int:
        """Newest buffered time of a container (0 if none)."""
        with self._lock:
            buffer = self._buffers.get(container)
            return buffer.newest_time_ns() if buffer else 0

    def line_count(self) -> int:
        """Lines buffered over all containers."""
        with self._lock:
            return sum(len(b) for b in self._buffers.values())

    def trace_count(self) -> int:
        """Trace ids indexed over all containers (a trace seen by two containers counts twice)."""
        with self._lock:
            return sum(b.trace_count() for b in self._buffers.values())

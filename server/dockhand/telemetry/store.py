"""TelemetryStore: spans, trace summaries and OTLP log records in SQLite (WAL) with retention by age, count, size."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dockhand.telemetry.model import STATUS_ERROR, LogRecord, Span, TraceSummary

logger = logging.getLogger("dockhand.telemetry.store")

STORE_FILE = "telemetry.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT NOT NULL,
  service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,
  start_ns INTEGER NOT NULL, duration_ns INTEGER NOT NULL, status INTEGER NOT NULL,
  attributes TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS spans_by_trace ON spans(trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_by_start ON spans(start_ns);
CREATE TABLE IF NOT EXISTS traces (
  trace_id TEXT PRIMARY KEY, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  span_count INTEGER NOT NULL, error_count INTEGER NOT NULL,
  root_service TEXT NOT NULL, root_name TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS traces_by_start ON traces(start_ns);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ns INTEGER NOT NULL, service TEXT NOT NULL, severity TEXT NOT NULL, body TEXT NOT NULL,
  trace_id TEXT NOT NULL, span_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs(trace_id) WHERE trace_id != '';
CREATE INDEX IF NOT EXISTS logs_by_time ON logs(time_ns);
"""

# Recompute the summaries of the traces a batch touched (ids passed as a JSON array), so a re-sent span
# (an exporter retry) never double-counts.
_REFRESH_TRACES = """
INSERT OR REPLACE INTO traces
SELECT s.trace_id, min(s.start_ns), max(s.start_ns + s.duration_ns), count(*), sum(s.status = 2),
       coalesce((SELECT r.service FROM spans r WHERE r.trace_id = s.trace_id AND r.parent_span_id = ''),
                (SELECT e.service FROM spans e WHERE e.trace_id = s.trace_id ORDER BY e.start_ns LIMIT 1)),
       coalesce((SELECT r.name FROM spans r WHERE r.trace_id = s.trace_id AND r.parent_span_id = ''),
                (SELECT e.name FROM spans e WHERE e.trace_id = s.trace_id ORDER BY e.start_ns LIMIT 1))
FROM spans s WHERE s.trace_id IN (SELECT value FROM json_each(?)) GROUP BY s.trace_id
"""


def _connect(path: Path, cache_kib: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10.0, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")  # bounded page cache → bounded memory
    conn.execute("PRAGMA temp_store = FILE")
    return conn


WRITER_CACHE_KIB = 8_000
"""The writer's page cache. Inserts into the trace-id indexes land at random pages: at a million spans, storing
ran at 28k spans/s with 8 MB, 27k with 16 MB and 23k with 2 MB (one thread, this machine)."""
READER_CACHE_KIB = 2_000
"""The reader's page cache: queries read recent rows. With 16 MB for both connections the soak's RSS climbed by
~30 MB over its first two minutes and then swung by 4-8 MB (cache pages churned through the arenas of whichever
thread read: workers, the /metrics scrape); with 2 MB it stayed within 1 MB."""


class TelemetryStore:
    """The on-disk store. Thread-safe: one lock for the writer connection, one for the reader connection.

    Several Dockhand servers on one machine open the same file: the one that owns the OTLP receiver writes,
    the others only read (SQLite's WAL mode lets readers run while the writer writes).
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_age_s: float = 3600.0,
        max_spans: int = 2_000_000,
        max_bytes: int = 512_000_000,
        cache_kib: int = WRITER_CACHE_KIB,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STORE_FILE
        self.max_age_s = max_age_s
        self.max_spans = max_spans
        self.max_bytes = max_bytes
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._writer = _connect(self.path, cache_kib)
        self._writer.execute("PRAGMA journal_mode = WAL")
        self._writer.execute("PRAGMA synchronous = NORMAL")
        # Trace-id indexes take random inserts: checkpoint every ~40 MB of WAL instead of 4 MB, so a page hit by
        # many batches is copied (and fsynced) once — ~1.5x the ingest rate at a million spans.
        self._writer.execute("PRAGMA wal_autocheckpoint = 10000")
        self._writer.execute("PRAGMA journal_size_limit = 67108864")
        self._writer.executescript(_SCHEMA)
        self._reader = _connect(self.path, min(cache_kib, READER_CACHE_KIB))

    def close(self) -> None:
        """Close both connections (the file stays for the next start)."""
        with self._write_lock:
            self._writer.close()
        with self._read_lock:
            self._reader.close()

    # --- writing ------------------------------------------------------------------------------------------

    def add_spans(self, spans: Sequence[Span]) -> int:
        """Store spans (a span already stored is ignored); returns how many were new."""
        if not spans:
            return 0
        rows = [(*s.to_row(), json.dumps(s.attributes, separators=(",", ":"), default=str)) for s in spans]
        trace_ids = json.dumps(list({s.trace_id for s in spans}))
        with self._write_lock:
            before = self._writer.total_changes
            self._writer.execute("BEGIN")
            try:
                self._writer.executemany(
                    "INSERT OR IGNORE INTO spans(trace_id, span_id, parent_span_id, service, name, kind, start_ns,"
                    " duration_ns, status, attributes) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                added = self._writer.total_changes - before
                self._writer.execute(_REFRESH_TRACES, (trace_ids,))
                self._writer.execute("COMMIT")
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
        return added

    def add_logs(self, logs: Iterable[LogRecord]) -> int:
        """Store OTLP log records; returns how many."""
        rows = [(r.time_ns, r.service, r.severity, r.body, r.trace_id, r.span_id) for r in logs]
        if not rows:
            return 0
        with self._write_lock, self._writer:
            self._writer.execute("BEGIN")
            self._writer.executemany(
                "INSERT INTO logs(time_ns, service, severity, body, trace_id, span_id) VALUES (?,?,?,?,?,?)", rows
            )
        return len(rows)

    def enforce_retention(self, now_ns: int | None = None) -> int:
        """Drop spans/logs older than max_age, then the oldest beyond max_spans or max_bytes; returns spans dropped."""
        now_ns = time.time_ns() if now_ns is None else now_ns
        cutoff = now_ns - int(self.max_age_s * 1e9)
        dropped = 0
        with self._write_lock:
            w = self._writer
            dropped += w.execute("DELETE FROM spans WHERE start_ns < ?", (cutoff,)).rowcount
            w.execute("DELETE FROM traces WHERE start_ns < ?", (cutoff,))
            w.execute("DELETE FROM logs WHERE time_ns < ?", (cutoff,))
            excess = self._span_count(w) - self.max_spans
            if excess > 0:
                dropped += self._drop_oldest(excess)
            if self._used_bytes(w) > self.max_bytes:
                dropped += self._drop_oldest(max(1, self._span_count(w) // 10))
                log_excess = w.execute("SELECT count(*) FROM logs").fetchone()[0] // 10
                w.execute("DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT ?)", (log_excess,))
            if dropped:
                w.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if dropped:
            logger.info("retention dropped %d spans", dropped)
        return dropped

    def _drop_oldest(self, count: int) -> int:
        w = self._writer
        row = w.execute("SELECT id FROM spans ORDER BY id LIMIT 1 OFFSET ?", (count - 1,)).fetchone()
        if row is None:
            return 0
        dropped = int(w.execute("DELETE FROM spans WHERE id <= ?", (row[0],)).rowcount)
        # Trace summaries whose every span is gone go too.
        w.execute(
            "DELETE FROM traces WHERE start_ns < (SELECT coalesce(min(start_ns), 0) FROM spans)"
            " AND NOT EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = traces.trace_id)"
        )
        return dropped

    @staticmethod
    def _span_count(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT count(*) FROM spans").fetchone()[0])

    @staticmethod
    def _used_bytes(conn: sqlite3.Connection) -> int:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    # --- reading ------------------------------------------------------------------------------------------

    def _query(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    def span_count(self) -> int:
        """How many spans are stored."""
        with self._read_lock:
            return self._span_count(self._reader)

    def last_span_id(self) -> int:
        """The newest span row id (0 when empty): a cursor for `spans_after`."""
        return int(self._query("SELECT coalesce(max(id), 0) FROM spans")[0][0])

    def first_span_id_since(self, start_ns: int) -> int:
        """The row id just before the first span that started at or after `start_ns` (a cursor for spans_after)."""
        row = self._query("SELECT min(id) FROM spans WHERE start_ns >= ?", (start_ns,))[0][0]
        return self.last_span_id() if row is None else int(row) - 1

    def spans_after(self, row_id: int, limit: int = 50_000) -> list[tuple[int, str, str, int, int, int, int]]:
        """(id, service, name, kind, start_ns, duration_ns, status) of spans stored after `row_id`, oldest first."""
        return self._query(
            "SELECT id, service, name, kind, start_ns, duration_ns, status FROM spans WHERE id > ? ORDER BY id LIMIT ?",
            (row_id, limit),
        )

    def services(self) -> list[str]:
        """Services that sent spans still within retention."""
        return [r[0] for r in self._query("SELECT DISTINCT service FROM spans ORDER BY service")]

    def traces(
        self,
        *,
        service: str | None = None,
        operation: str | None = None,
        min_duration_ms: float = 0.0,
        since_ns: int = 0,
        limit: int = 50,
    ) -> list[TraceSummary]:
        """The newest traces first, optionally only those with a span of `service` and/or named `operation`."""
        rows = self._query(
            "SELECT t.trace_id, t.root_service, t.root_name, t.start_ns, t.end_ns - t.start_ns, t.span_count,"
            " t.error_count FROM traces t WHERE t.start_ns >= :since AND t.end_ns - t.start_ns >= :min_ns"
            " AND (:service IS NULL AND :operation IS NULL OR EXISTS (SELECT 1 FROM spans s"
            "      WHERE s.trace_id = t.trace_id AND (:service IS NULL OR s.service = :service)"
            "      AND (:operation IS NULL OR s.name = :operation)))"
            " ORDER BY t.start_ns DESC LIMIT :limit",
            {
                "since": since_ns,
                "min_ns": int(min_duration_ms * 1e6),
                "service": service,
                "operation": operation,
                "limit": max(1, min(limit, 1000)),
            },
        )
        services = self._services_of([r[0] for r in rows])
        return [TraceSummary(r[0], r[1], r[2], r[3], r[4], r[5], r[6] > 0, services.get(r[0], ())) for r in rows]

    def _services_of(self, trace_ids: list[str]) -> dict[str, tuple[str, ...]]:
        if not trace_ids:
            return {}
        rows = self._query(
            "SELECT trace_id, group_concat(DISTINCT service) FROM spans"
            " WHERE trace_id IN (SELECT value FROM json_each(?)) GROUP BY trace_id",
            (json.dumps(trace_ids),),
        )
        return {r[0]: tuple(sorted(r[1].split(","))) for r in rows}

    def trace(self, trace_id: str) -> list[Span]:
        """Every stored span of one trace, by start time."""
        rows = self._query(
            "SELECT trace_id, span_id, parent_span_id, service, name, kind, start_ns, duration_ns, status, attributes"
            " FROM spans WHERE trace_id = ? ORDER BY start_ns, id",
            (trace_id.lower(),),
        )
        return [Span(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9])) for r in rows]

    def logs_for_trace(self, trace_id: str) -> list[LogRecord]:
        """OTLP log records that carry `trace_id`, in time order."""
        rows = self._query(
            "SELECT time_ns, service, severity, body, trace_id, span_id FROM logs WHERE trace_id = ?"
            " AND trace_id != '' ORDER BY time_ns, id",
            (trace_id.lower(),),
        )
        return [LogRecord(*r) for r in rows]

    def observed_calls(self, since_ns: int = 0) -> list[tuple[str, str, int, int]]:
        """(caller, callee, calls, errors): a span whose parent belongs to another service is a call."""
        rows = self._query(
            "SELECT p.service, c.service, count(*), sum(c.status = ?) FROM spans c"
            " JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id"
            " WHERE c.start_ns >= ? AND c.parent_span_id != '' AND p.service != c.service"
            " GROUP BY p.service, c.service ORDER BY p.service, c.service",
            (STATUS_ERROR, since_ns),
        )
        return [(r[0], r[1], int(r[2]), int(r[3] or 0)) for r in rows]

    def call_durations(self, since_ns: int = 0) -> list[tuple[str, str, int, bool]]:
        """(caller, callee, duration_ns, error) of each call since `since_ns`, for the graph's p95 and error rate."""
        rows = self._query(
            "SELECT p.service, c.service, c.duration_ns, c.status = ? FROM spans c"
            " JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id"
            " WHERE c.start_ns >= ? AND c.parent_span_id != '' AND p.service != c.service",
            (STATUS_ERROR, since_ns),
        )
        return [(r[0], r[1], int(r[2]), bool(r[3])) for r in rows]

    def services_since(self, since_ns: int) -> set[str]:
        """Services that sent at least one span since `since_ns`."""
        return {r[0] for r in self._query("SELECT DISTINCT service FROM spans WHERE start_ns >= ?", (since_ns,))}

"""StartupTimeline: when the first document was served and each start-up step finished, in ms after `initialized`.

Logged once, as one line, when every expected step has reported (bench/first_open_bench.py reads it; a slow start
shows in the user's log). A phase is recorded the first time it is marked; later marks of it are ignored, so the
hot paths can mark unconditionally.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("dockhand.startup")


class StartupTimeline:
    """Milliseconds from `begin()` (the `initialized` notification) to each named phase; thread-safe."""

    def __init__(self) -> None:
        self._origin: float | None = None
        self._marks: dict[str, float] = {}
        self._expected: set[str] = set()
        self._lock = threading.Lock()
        self._reported = False

    def begin(self) -> None:
        """Start the clock (on `initialized`); marks before it are ignored."""
        with self._lock:
            if self._origin is None:
                self._origin = time.perf_counter()

    def expect(self, step: str) -> None:
        """A start-up step whose end the log line waits for (registered by the feature that owns it)."""
        with self._lock:
            self._expected.add(step)

    def mark(self, phase: str) -> None:
        """Record `phase` now (first time only); log the timeline once every expected step is in."""
        now = time.perf_counter()
        with self._lock:
            if self._origin is None or phase in self._marks:
                return
            self._marks[phase] = round((now - self._origin) * 1000, 1)
            complete = not self._reported and self._expected <= self._marks.keys()
            self._reported |= complete
            marks = dict(self._marks)
        if complete:
            text = ", ".join(f"{name} {ms:.0f} ms" for name, ms in sorted(marks.items(), key=lambda kv: kv[1]))
            logger.info("start-up after initialized: %s", text, extra={"startup_ms": marks})

    def marks(self) -> dict[str, float]:
        """The phases recorded so far (ms after `initialized`)."""
        with self._lock:
            return dict(self._marks)

"""Connection slots of the OTLP receiver: a bound on connections and a whole-request deadline (slowloris guard).

A per-read timeout is not enough: a sender trickling one byte a second never trips it and holds its slot for as
long as it likes, so a swarm of them locks honest exporters out. Here every request (its head and body, or the
idle wait for the next request on a kept-alive connection) has REQUEST_DEADLINE_S in total, checked from the
listener's own loop; and when every slot is taken, the connection that has used its slot the longest makes room
for the newcomer. A cut connection is shut for reading only, so the handler can still answer 408.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

REQUEST_DEADLINE_S = 10.0
"""Longest time for one request, head to last body byte (an honest export takes milliseconds)."""
EVICT_AFTER_S = 1.0
"""When the slots are full, a connection busy for longer than this is cut to admit a new one."""


class Slots:
    """Which connections hold a slot and since when their current request started."""

    def __init__(
        self, capacity: int, deadline_s: float = REQUEST_DEADLINE_S, evict_after_s: float = EVICT_AFTER_S
    ) -> None:
        self.capacity = capacity
        self.deadline_s = deadline_s
        self.evict_after_s = evict_after_s
        self._lock = threading.Lock()
        self._since: dict[socket.socket, float] = {}
        self._cut: set[socket.socket] = set()

    def admit(self, conn: socket.socket) -> bool:
        """Give `conn` a slot, cutting the longest-busy connection if all are taken; False = refuse it."""
        now = time.monotonic()
        with self._lock:
            if len(self._since) - len(self._cut) >= self.capacity:
                busy = {c: t for c, t in self._since.items() if c not in self._cut}
                oldest = min(busy, key=busy.__getitem__)
                # Cut connections keep their thread until they notice: at most one extra capacity of them.
                if now - busy[oldest] < self.evict_after_s or len(self._since) >= 2 * self.capacity:
                    return False
                self._cut_locked(oldest)
            self._since[conn] = now
            return True

    def restart(self, conn: socket.socket) -> None:
        """A new request starts on a kept-alive connection: its deadline starts again."""
        with self._lock:
            if conn in self._since and conn not in self._cut:
                self._since[conn] = time.monotonic()

    def release(self, conn: socket.socket) -> None:
        with self._lock:
            self._since.pop(conn, None)
            self._cut.discard(conn)

    def expire(self) -> None:
        """Cut every connection whose request is past the deadline (called from the listener's loop)."""
        limit = time.monotonic() - self.deadline_s
        with self._lock:
            for conn, since in list(self._since.items()):
                if since < limit and conn not in self._cut:
                    self._cut_locked(conn)

    def was_cut(self, conn: socket.socket) -> bool:
        with self._lock:
            return conn in self._cut

    @property
    def held(self) -> int:
        """Connections holding a slot (cut ones excluded)."""
        with self._lock:
            return len(self._since) - len(self._cut)

    def _cut_locked(self, conn: socket.socket) -> None:
        self._cut.add(conn)
        with contextlib.suppress(OSError):  # already gone
            conn.shutdown(socket.SHUT_RD)  # a blocked read returns at once; the reply can still be written

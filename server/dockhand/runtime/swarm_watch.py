"""SwarmWatcher: the stacks of the engine Dockhand talks to, when it is a Swarm manager, polled into a
SwarmSnapshot (runtime/swarm) and handed to the event loop.

Task states change on whichever node runs them and a manager emits no task events, so tasks are polled: every
POLL_S while any stack exists (a failed task shows within about that), every IDLE_POLL_S otherwise; a poll whose
answer did not change costs one small request and no work on the loop (services are read when tasks change and every
SERVICES_EVERY_S, nodes every NODES_EVERY_S). Every request has REMOTE_DEADLINE_S; when
the manager stops answering, the last snapshot is handed on once more, marked stale with the time of the last answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from dockhand.runtime import contexts
from dockhand.runtime.swarm import NAMESPACE, SwarmSnapshot, build_snapshot

logger = logging.getLogger("dockhand.swarm")

POLL_S = 0.5
IDLE_POLL_S = 5.0
NODES_EVERY_S = 10.0
SERVICES_EVERY_S = 2.0
REMOTE_DEADLINE_S = 5.0


class SwarmWatcher:
    """`start()` once, `stop()` on shutdown; `on_change(snapshot)` runs on the loop when the stacks change."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_change: Callable[[SwarmSnapshot], None]) -> None:
        self._loop = loop
        self._on_change = on_change
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._fingerprint = ""
        self._last = SwarmSnapshot()
        self._contact = 0.0
        """When the manager last answered a poll (epoch seconds)."""

    def start(self) -> None:
        threading.Thread(target=self._run, name="dockhand-swarm", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def poke(self) -> None:
        """Poll now (after a stack action), not at the next tick."""
        self._wake.set()

    def _run(self) -> None:
        reader: _Reader | None = None
        nodes_raw = services_raw = tasks_raw = b"[]"
        nodes_at = services_at = 0.0
        while not self._stop.is_set():
            interval = IDLE_POLL_S
            try:
                if reader is None:
                    reader = _Reader()
                    nodes_at = services_at = 0.0
                swarm = (reader.client.info().get("Swarm") or {}) if nodes_at == 0.0 else {"ControlAvailable": True}
                if not swarm.get("ControlAvailable"):
                    self._contact = time.time()
                    self._publish(SwarmSnapshot(), "not-a-manager")
                    interval = 30.0  # a plain engine (or a worker): look again now and then
                else:
                    now = time.monotonic()
                    if now - nodes_at > NODES_EVERY_S:
                        nodes_raw, nodes_at = reader.get("/nodes", stacks_only=False), now
                    # The answers' bytes are compared before anything is parsed: an unchanged poll costs one or two
                    # small requests and a hash, and nothing is rebuilt or published until something really changed.
                    # Services are read again when their tasks changed (a scale, an update, a failure) and at least
                    # every SERVICES_EVERY_S (a change that touches no task, e.g. an update's final state).
                    previous_tasks, tasks_raw = tasks_raw, reader.get("/tasks")
                    if tasks_raw != previous_tasks or now - services_at > SERVICES_EVERY_S:
                        services_raw, services_at = reader.get("/services"), now
                    parts = (services_raw, tasks_raw, nodes_raw)
                    fingerprint = hashlib.blake2b(b"\0".join(parts), digest_size=16).hexdigest()
                    self._contact = time.time()
                    if fingerprint != self._fingerprint:
                        services, tasks, nodes = (json.loads(part) for part in parts)
                        self._publish(build_snapshot(services, tasks, nodes), fingerprint)
                    interval = POLL_S if services_raw.strip() != b"[]" else IDLE_POLL_S
            except Exception as exc:  # the engine went away or is no manager any more: the engine watcher reports it
                logger.debug("swarm poll failed: %r", exc)
                if self._last.stacks and not self._last.error:  # keep showing it, marked stale with its age
                    stale = dataclasses.replace(self._last, error=_reason(exc), since=self._contact)
                    self._publish(stale, "stale:" + self._fingerprint)
                if reader is not None:
                    reader.close()
                reader = None
                interval = 2.0
            self._wake.wait(interval)
            self._wake.clear()
        if reader is not None:
            reader.close()

    def _publish(self, snapshot: SwarmSnapshot, fingerprint: str) -> None:
        """Hand a changed snapshot to the loop."""
        if fingerprint == self._fingerprint:
            return
        self._fingerprint, self._last = fingerprint, snapshot
        if not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._on_change, snapshot)


def _reason(exc: Exception) -> str:
    """A short why for a failed poll (the engine watcher's status says the rest)."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return f"the manager did not answer within {REMOTE_DEADLINE_S:g} s"
    return "the manager cannot be reached"


class _Reader:
    """Raw GETs of the engine's API. Over its unix socket (the local engine's, or the ssh bridge's) they go through
    one kept-alive http.client connection: a poll through the SDK's requests stack cost about four times the CPU
    (0.85 vs 0.2 ms a request alone, more beside the server's other threads). A tcp/TLS engine goes through the SDK."""

    def __init__(self) -> None:
        self.client: Any = contexts.engine_client(timeout=int(REMOTE_DEADLINE_S))
        base = str(contexts.client_kwargs(contexts.active(), REMOTE_DEADLINE_S)["base_url"])
        self._socket = base[len("unix://") :] if base.startswith("unix://") else ""
        self._conn: http.client.HTTPConnection | None = None

    def get(self, path: str, stacks_only: bool = True) -> bytes:
        """The body of GET `path`, filtered to stack objects (labelled with the stack namespace) unless told not to."""
        api = self.client.api
        params = {"filters": json.dumps({"label": [NAMESPACE]})} if stacks_only else {}
        if not self._socket:
            response = api._get(api._url(path), params=params)
            api._raise_for_status(response)
            return bytes(response.content)
        target = urlsplit(api._url(path)).path + (f"?{urlencode(params)}" if params else "")
        for attempt in range(2):  # a kept-alive connection the engine closed meanwhile: once more on a new one
            try:
                conn = self._conn if self._conn is not None else self._connect()
                conn.request("GET", target)
                response = conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop()
                if attempt:
                    raise
                continue
            if response.will_close:
                self._drop()
            if response.status >= 400:
                raise OSError(f"GET {path}: HTTP {response.status}: {body[:200].decode('utf-8', 'replace')}")
            return body
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        conn = _UnixConnection(self._socket, REMOTE_DEADLINE_S)
        self._conn = conn
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def close(self) -> None:
        self._drop()
        with contextlib.suppress(Exception):
            self.client.close()


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket, with a deadline on every socket operation."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock

"""SwarmWatcher: the stacks of the engine Dockhand talks to, when it is a Swarm manager, polled into a
SwarmSnapshot (runtime/swarm) and handed to the event loop.

Task states change on whichever node runs them and a manager emits no task events, so tasks are polled: every
POLL_S while any stack exists (a failed task shows within about that), every IDLE_POLL_S otherwise; a poll whose
answers did not change costs two small requests and no work on the loop. Every request has REMOTE_DEADLINE_S; when
the manager stops answering, the last snapshot is handed on once more, marked stale with the time of the last answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from dockhand.runtime import contexts
from dockhand.runtime.swarm import NAMESPACE, SwarmSnapshot, build_snapshot

logger = logging.getLogger("dockhand.swarm")

POLL_S = 0.5
IDLE_POLL_S = 5.0
NODES_EVERY_S = 10.0
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
        client: Any = None
        nodes: list[Any] = []
        nodes_at = 0.0
        while not self._stop.is_set():
            interval = IDLE_POLL_S
            try:
                if client is None:
                    client = contexts.engine_client(timeout=int(REMOTE_DEADLINE_S))
                    nodes_at = 0.0
                swarm = (client.info().get("Swarm") or {}) if nodes_at == 0.0 else {"ControlAvailable": True}
                if not swarm.get("ControlAvailable"):
                    self._contact = time.time()
                    self._publish(SwarmSnapshot(), "not-a-manager")
                    interval = 30.0  # a plain engine (or a worker): look again now and then
                else:
                    if time.monotonic() - nodes_at > NODES_EVERY_S:
                        nodes, nodes_at = client.api.nodes(), time.monotonic()
                    # The answers' bytes are compared before anything is parsed: an unchanged poll costs two
                    # requests and a hash (the SDK's public calls would decode both every time).
                    services_raw = _raw(client, "/services")
                    tasks_raw = _raw(client, "/tasks") if services_raw.strip() != b"[]" else b"[]"
                    digest = hashlib.blake2b(services_raw + b"\0" + tasks_raw, digest_size=16)
                    digest.update(str(nodes_at).encode())
                    fingerprint = digest.hexdigest()
                    self._contact = time.time()
                    if fingerprint != self._fingerprint:
                        services, tasks = json.loads(services_raw), json.loads(tasks_raw)
                        self._publish(build_snapshot(services, tasks, nodes), fingerprint)
                    interval = POLL_S if services_raw.strip() != b"[]" else IDLE_POLL_S
            except Exception as exc:  # the engine went away or is no manager any more: the engine watcher reports it
                logger.debug("swarm poll failed: %r", exc)
                if self._last.stacks and not self._last.error:  # keep showing it, marked stale with its age
                    stale = dataclasses.replace(self._last, error=_reason(exc), since=self._contact)
                    self._publish(stale, "stale:" + self._fingerprint)
                with contextlib.suppress(Exception):
                    if client is not None:
                        client.close()
                client = None
                interval = 2.0
            self._wake.wait(interval)
            self._wake.clear()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

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


def _raw(client: Any, path: str) -> bytes:
    """The raw body of GET `path` filtered to stack objects (labelled with the stack namespace)."""
    api = client.api
    response = api._get(api._url(path), params={"filters": json.dumps({"label": [NAMESPACE]})})
    api._raise_for_status(response)
    return bytes(response.content)

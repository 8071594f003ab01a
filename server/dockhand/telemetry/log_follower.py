"""Follow containers' logs through the Docker API (with timestamps) into the LogCorrelator, one thread each."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dockhand.telemetry.logs import LogCorrelator

logger = logging.getLogger("dockhand.telemetry.logs")

ClientFactory = Callable[[], Any]
"""Returns a docker.DockerClient (a fresh one per follower thread: the SDK's streams are not shared)."""


@dataclass(frozen=True)
class FollowTarget:
    """A container to follow: id, its compose service and container name."""

    container_id: str
    service: str
    name: str


def split_timestamp(raw: str) -> tuple[int, str]:
    """Docker's `2026-11-28T08:11:57.123456789Z text` → (Unix ns, text); (now, raw) if there is no stamp."""
    stamp, _, text = raw.partition(" ")
    try:
        seconds = int(datetime.fromisoformat(stamp[:19] + "+00:00").timestamp())
    except ValueError:
        return time.time_ns(), raw
    fraction = stamp[20:].rstrip("Z")[:9] if len(stamp) > 20 and stamp[19] == "." else ""
    nanos = int(fraction.ljust(9, "0")) if fraction.isdigit() else 0
    return seconds * 1_000_000_000 + nanos, text


class LogFollowers:
    """Keeps one follower thread per wanted container; `sync()` starts new ones and stops gone ones."""

    def __init__(self, correlator: LogCorrelator, client_factory: ClientFactory) -> None:
        self.correlator = correlator
        self.client_factory = client_factory
        self._streams: dict[str, Any] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def sync(self, targets: Iterable[FollowTarget]) -> None:
        """Follow exactly these containers (running ones; a stopped container's lines stay buffered)."""
        wanted = {t.container_id: t for t in targets}
        with self._lock:
            for container_id in [c for c in self._threads if c not in wanted]:
                self._stop_one(container_id)
            for container_id, target in wanted.items():
                thread = self._threads.get(container_id)
                if thread is None or not thread.is_alive():
                    thread = threading.Thread(target=self._follow, args=(target,), name=f"logs-{target.name}")
                    thread.daemon = True
                    self._threads[container_id] = thread
                    thread.start()

    def following(self) -> list[str]:
        """Ids of containers with a live follower."""
        with self._lock:
            return [c for c, t in self._threads.items() if t.is_alive()]

    def stop(self) -> None:
        """Stop every follower."""
        with self._lock:
            self._stopped = True
            for container_id in list(self._threads):
                self._stop_one(container_id)

    def _stop_one(self, container_id: str) -> None:
        stream = self._streams.pop(container_id, None)
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()
        self._threads.pop(container_id, None)

    def _follow(self, target: FollowTarget) -> None:
        resume_ns = self.correlator.resume_time_ns(target.container_id)
        since = (
            resume_ns / 1e9 if resume_ns else time.time() - self.correlator.window_s
        )  # a restarted follower does not re-read what it already has
        try:
            client = self.client_factory()
            container = client.containers.get(target.container_id)
            stream = container.logs(stream=True, follow=True, timestamps=True, since=since)
        except Exception as exc:
            logger.debug("cannot follow logs of %s: %s", target.name, exc)
            return
        with self._lock:
            if self._stopped or target.container_id not in self._threads:
                stream.close()
                return
            self._streams[target.container_id] = stream
        pending = b""
        try:
            for chunk in stream:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                batch = [split_timestamp(raw.decode("utf-8", "replace").rstrip("\r")) for raw in complete if raw]
                if resume_ns:
                    batch = [(t, text) for t, text in batch if t > resume_ns]
                if batch:
                    self.correlator.add_many(target.container_id, target.service, batch)
        except Exception as exc:  # the stream ends when the container stops or we close it
            logger.debug("log stream of %s ended: %s", target.name, exc)
        finally:
            with contextlib.suppress(Exception):
                client.close()

"""EngineWatcher: Compose containers from the Docker Engine (label listing, then the event stream) into the StateStore.

The docker SDK blocks, so the watcher runs in one thread and hands every result to the server's asyncio loop with
`call_soon_threadsafe`; the store is only ever written on that loop. A second thread reads the event stream into
an inbox; the watcher takes whatever has arrived as one batch and coalesces it per container (runtime/event_batch),
so a storm of events costs at most one engine call per container per batch instead of one or two per event.
When the engine goes away the watcher reports one DiagnosticError, keeps the last known containers (marked stale by
the engine state) and reconnects with a short, capped backoff so state is correct within about a second of the
engine's return.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dockhand.errors import DiagnosticError, docker_permission_denied, docker_remote_unreachable, docker_unreachable
from dockhand.observe import metrics
from dockhand.runtime import contexts
from dockhand.runtime.event_batch import ContainerPlan, derive, plan_batch
from dockhand.runtime.inspect import PROJECT, container_from_inspect
from dockhand.runtime.ports import bind_failure, describe_holders
from dockhand.runtime.state import ContainerInfo, EngineStatus, StateStore

if TYPE_CHECKING:
    import docker

logger = logging.getLogger("dockhand.engine")

WATCHED_EVENTS = (
    "create",
    "start",
    "kill",
    "die",
    "stop",
    "destroy",
    "restart",
    "oom",
    "health_status",
    "pause",
    "unpause",
)
LOG_TAIL = 5
MAX_BACKOFF_S = 1.0
RECHECK_CREATED_S = (1.5, 5.0)
"""A container that stays `created` is looked at again after these delays: a failed start (a host port taken)
sends no event, only the container's `State.Error` tells."""
RECHECK_STARTING_S = 3.0
"""While a healthcheck is `starting` its probes send no event: the probe log is read again this often."""
REMOTE_TIMEOUT_S = 5
"""A remote engine's request limit: a cut link is noticed (and hovers marked stale) within about this."""
HEARTBEAT_S = 3.0
"""A quiet remote event stream is checked this often: a dropped link sends no error, it just goes silent."""
MAX_EVENT_BACKLOG = 5000
"""Events queued while the watcher is busy; past this many they are dropped for one resync (a list and an inspect
of every compose container), which covers whatever they said: a stalled watcher never holds unbounded memory."""


def docker_host() -> str:
    """The engine address the SDK will use (the active context's: runtime/contexts)."""
    return contexts.active().host


def classify_error(exc: BaseException, host: str) -> DiagnosticError:
    """Turn an SDK/connection failure into the DiagnosticError a person can act on."""
    text = f"{exc!r} {exc}"
    if "PermissionError" in text or "Permission denied" in text:
        return docker_permission_denied(host)
    detail = "no such socket" if "FileNotFoundError" in text or "No such file" in text else ""
    if not detail and ("Connection refused" in text or "ConnectionRefused" in text):
        detail = "connection refused"
    if not detail and isinstance(exc, TimeoutError):
        detail = "no answer"
    if urlsplit(host).scheme in ("ssh", "tcp", "http", "https"):
        return docker_remote_unreachable(host, detail)
    return docker_unreachable(host, detail)


def log_tail(client: docker.DockerClient, container_id: str) -> tuple[str, ...]:
    """A stopped container's last LOG_TAIL non-empty log lines (the words of its crash)."""
    import docker.errors  # the SDK loads with the live side, not before the first diagnostics

    try:
        raw = client.api.logs(container_id, stdout=True, stderr=True, tail=LOG_TAIL)
    except docker.errors.APIError:  # e.g. 409: this logging driver cannot be read back; the exit still counts
        return ()
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return tuple(line.rstrip() for line in text.splitlines() if line.strip())[-LOG_TAIL:]


class _Inbox:
    """Events read off the stream by their own thread, so a slow batch never stops the reading: the watcher then
    takes everything that arrived meanwhile as the next batch."""

    def __init__(self) -> None:
        self._events: collections.deque[Mapping[str, Any]] = collections.deque()
        self._ready = threading.Condition()
        self._ended: BaseException | None = None
        self.overflowed = False
        """Events were dropped (MAX_EVENT_BACKLOG): the watcher must resync before it applies the next ones."""

    def pump(self, stream: Iterable[Mapping[str, Any]]) -> None:
        try:
            for event in stream:
                with self._ready:
                    if len(self._events) >= MAX_EVENT_BACKLOG:
                        metrics.DOCKER_EVENT_BACKLOG.dec(len(self._events))
                        self._events.clear()
                        self.overflowed = True
                    self._events.append(event)
                    metrics.DOCKER_EVENT_BACKLOG.inc()
                    self._ready.notify()
            ended: BaseException = ConnectionError("the engine closed the event stream")
        except Exception as exc:  # the connection broke (or stop() closed it)
            ended = exc
        with self._ready:
            self._ended = ended
            self._ready.notify()

    def take(self, timeout: float) -> list[Mapping[str, Any]] | None:
        """All events that arrived (waiting up to `timeout` for the first); None when some were dropped (resync
        first); raises the stream's end once drained."""
        with self._ready:
            if not self._events and self._ended is None:
                self._ready.wait(timeout)
            if not self._events and self._ended is not None:
                raise self._ended
            batch = list(self._events)
            self._events.clear()
            if self.overflowed:
                self.overflowed = False
                metrics.DOCKER_EVENT_BACKLOG.dec(len(batch))
                return None
            return batch


class EngineWatcher:
    """Keeps the StateStore in step with the engine; `start()` once, `stop()` on shutdown."""

    def __init__(self, store: StateStore, loop: asyncio.AbstractEventLoop) -> None:
        self._store = store
        self._loop = loop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: Any = None
        self._known: dict[str, ContainerInfo] = {}
        self._terminating: set[str] = set()
        self._recheck: dict[str, list[float]] = {}
        self._rechecked_created: set[str] = set()
        """Containers seen `created`: when to inspect them again (monotonic times)."""
        self._image_env: dict[str, frozenset[str]] = {}
        """Containers sent SIGTERM (a stop in progress): their coming exit is on purpose, not a crash."""
        self.target = contexts.active()
        self.host = self.target.host
        self._contact = time.time()
        """When the engine last answered (what a kept snapshot's age counts from)."""
        self._last_event_s: int | None = None
        """The newest event's time: a reconnect asks for events `since` then, so none that came meanwhile is lost."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dockhand-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            if self._stream is not None:
                self._stream.close()

    def _post(self, fn: Any, *args: Any) -> None:
        if not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                self._loop.call_soon_threadsafe(fn, *args)

    def _run(self) -> None:
        delay = 0.1
        reported: DiagnosticError | None = None
        while not self._stop.is_set():
            client: docker.DockerClient | None = None
            try:
                client = contexts.engine_client(timeout=REMOTE_TIMEOUT_S if self.target.remote else 15)
                version = str(self._within(client.version).get("Version", ""))
                # Open the event stream before listing, so nothing that happens in between is lost; after an
                # outage, from the last event seen (the engine replays what came while the link was down).
                self._stream = client.api.events(
                    decode=True,
                    since=self._last_event_s,
                    filters={"type": ["container"], "label": [PROJECT], "event": list(WATCHED_EVENTS)},
                )
                inbox = _Inbox()
                threading.Thread(
                    target=inbox.pump, args=(self._stream,), name="dockhand-engine-events", daemon=True
                ).start()
                self._resync(client, version)
                if reported is not None:
                    logger.info("Docker Engine at %s is back", self.host)
                reported, delay = None, 0.1
                heard = time.monotonic()
                while not self._stop.is_set():
                    batch = inbox.take(timeout=0.5)  # raises once the stream has ended
                    if batch is None:  # the backlog overflowed: what it said is re-read from the engine
                        logger.info("Docker events piled up past %d: reading every container again", MAX_EVENT_BACKLOG)
                        heard, self._contact = time.monotonic(), time.time()
                        self._resync(client, version)
                    elif batch:
                        heard, self._contact = time.monotonic(), time.time()
                        self._apply(client, batch)
                        metrics.DOCKER_EVENT_BACKLOG.dec(len(batch))
                    elif self.target.remote and time.monotonic() - heard > HEARTBEAT_S:
                        self._within(client.ping)  # raises when the link is gone
                        heard, self._contact = time.monotonic(), time.time()
                    if self._recheck:
                        self._recheck_created(client)
            except Exception as exc:  # any failure means: the engine is away; report once, retry
                if self._stop.is_set():
                    break
                error = classify_error(exc, self.host)
                if error != reported:
                    logger.warning("%s — %s", error.message, error.remediation, extra={"cause": repr(exc)})
                    reported = error
                # `since` is the last contact, not this attempt: the snapshot kept is that old.
                self._post(self._store.set_engine, EngineStatus("down", self.host, "", error, self._contact))
            finally:
                self._stream = None
                metrics.DOCKER_EVENT_BACKLOG.set(0)  # what was queued is covered by the next resync
                if client is not None:
                    with contextlib.suppress(Exception):
                        client.close()
            self._stop.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)

    def _within(self, call: Any) -> Any:
        """`call()` with a deadline on a remote engine: the SDK's ssh transport reads the ssh process's pipe without
        any timeout, so a cut link would hang the watcher for good. The caller's `client.close()` then ends the ssh
        process, which frees the thread left waiting."""
        if not self.target.remote:
            return call()
        result: list[Any] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def run() -> None:
            try:
                result.append(call())
            except BaseException as exc:  # handed to the watcher thread below
                failure.append(exc)
            finally:
                done.set()

        threading.Thread(target=run, name="dockhand-engine-call", daemon=True).start()
        if not done.wait(REMOTE_TIMEOUT_S):
            raise TimeoutError(f"no answer from {self.host} within {REMOTE_TIMEOUT_S} s")
        if failure:
            raise failure[0]
        return result[0]

    def _resync(self, client: docker.DockerClient, version: str) -> None:
        import docker.errors  # here, not at the top: the docker SDK (and requests) loads when the watcher starts

        found: list[ContainerInfo] = []
        for summary in client.api.containers(all=True, filters={"label": PROJECT}):
            # A crash from before we looked still deserves its last log lines (an exit code alone rarely says why).
            crashed = summary.get("State") in ("exited", "dead") and "(0)" not in str(summary.get("Status", ""))
            with contextlib.suppress(docker.errors.NotFound):  # removed between list and inspect
                found.append(self._inspect(client, summary["Id"], with_logs=crashed))
        self._known = {c.id: c for c in found}
        self._contact = time.time()
        logger.info("Docker Engine %s at %s: %d compose containers", version, self.host, len(found))
        self._post(self._store.replace_all, found, EngineStatus("up", self.host, version, None, time.time()))

    def _inspect(
        self, client: docker.DockerClient, container_id: str, with_logs: bool = False, stopped: bool | None = None
    ) -> ContainerInfo:
        attrs = client.api.inspect_container(container_id)
        logs: tuple[str, ...] | None = None
        if with_logs:
            logs = log_tail(client, container_id)
        state = attrs.get("State") or {}
        self._schedule_recheck(container_id, state)
        failed = bind_failure(str(state.get("Error") or ""))
        holders = describe_holders(failed[1]) if failed is not None else ()
        image_keys = self._image_env_keys(client, str(attrs.get("Image") or ""))
        info = container_from_inspect(attrs, self._known.get(container_id), logs, stopped, image_keys, holders)
        self._known[container_id] = info
        return info

    def _image_env_keys(self, client: docker.DockerClient, image_id: str) -> frozenset[str]:
        """The environment keys an image sets itself (one inspect per image, remembered)."""
        import docker.errors

        if not image_id:
            return frozenset()
        if image_id not in self._image_env:
            try:
                env = (client.api.inspect_image(image_id).get("Config") or {}).get("Env") or ()
            except docker.errors.APIError:
                env = ()
            self._image_env[image_id] = frozenset(str(e).partition("=")[0] for e in env)
        return self._image_env[image_id]

    def _schedule_recheck(self, container_id: str, state: Mapping[str, Any]) -> None:
        """Some changes send no event: a start that failed (a host port taken) leaves the container `created`, and
        a healthcheck's probes during `starting` change only its log. Look again at such containers, a bounded
        number of times (once per container for `created`, every few seconds while `starting`)."""
        now = time.monotonic()
        status = str(state.get("Status") or "")
        if status == "created":
            if container_id not in self._rechecked_created:
                self._rechecked_created.add(container_id)
                self._recheck[container_id] = [now + d for d in RECHECK_CREATED_S]
        elif status == "running" and str((state.get("Health") or {}).get("Status") or "") == "starting":
            self._recheck.setdefault(container_id, [now + RECHECK_STARTING_S])
        else:
            self._recheck.pop(container_id, None)
            self._rechecked_created.discard(container_id)

    def _recheck_created(self, client: docker.DockerClient) -> None:
        """Inspect again the containers _schedule_recheck picked whose time has come."""
        import docker.errors

        now = time.monotonic()
        for container_id, due in list(self._recheck.items()):
            if due and due[0] <= now:
                due.pop(0)
                if not due:
                    del self._recheck[container_id]
                try:
                    info = self._inspect(client, container_id)
                except docker.errors.NotFound:
                    self._recheck.pop(container_id, None)
                    continue
                except docker.errors.APIError:
                    continue
                self._post(self._store.put_container, info, 0)

    def _apply(self, client: docker.DockerClient, batch: list[Mapping[str, Any]]) -> None:
        """Apply a batch of events: one plan per container, at most one inspect (or one log read) each."""
        newest = max((int(e.get("time") or 0) for e in batch), default=0)
        if newest:
            self._last_event_s = max(newest, self._last_event_s or 0)
        for plan in plan_batch(batch, self._terminating).values():
            self._apply_plan(client, plan)
        metrics.DOCKER_EVENTS.labels(type="container").inc(len(batch))

    def _apply_plan(self, client: docker.DockerClient, plan: ContainerPlan) -> None:
        import docker.errors

        container_id, cause_ns = plan.container_id, plan.first_ns
        if plan.removed:
            self._known.pop(container_id, None)
            self._recheck.pop(container_id, None)
            self._rechecked_created.discard(container_id)
            self._post(self._store.remove_container, container_id, cause_ns)
            return
        previous = self._known.get(container_id)
        if previous is not None and plan.exited_ns is not None and not plan.stopped and previous.restart_policy:
            # The engine may bring it back: it marks the container `restarting` before it reports the `die`, so
            # the inspect says whether this is a restart (loop) or the end, where the event alone would say "exited".
            plan.inspect = True
        elif previous is not None and (not plan.inspect or plan.exited_ns is not None):
            # What the events say is published at once (an exit shows without waiting for the engine).
            quick = derive(previous, plan)
            self._known[container_id] = quick
            self._post(self._store.put_container, quick, cause_ns)
            if not plan.inspect:
                if plan.fetch_logs:  # the crash's last lines: one read, after the exit is already shown
                    quick = dataclasses.replace(quick, last_log_lines=log_tail(client, container_id))
                    self._known[container_id] = quick
                    self._post(self._store.put_container, quick, cause_ns)
                return
        try:
            info = self._inspect(client, container_id, with_logs=plan.fetch_logs, stopped=plan.stopped)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:  # the engine answered: one container's trouble, not an outage
            metrics.POLLER_ERRORS.labels(kind="docker").inc()
            logger.debug("inspect of %s failed: %s", container_id[:12], exc)
            return
        self._post(self._store.put_container, info, cause_ns)

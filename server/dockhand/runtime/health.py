"""Actuator health: one poller per running container that serves `/actuator/health`, bounded and backed off.

Where the endpoint is: configured per service with `x-dockhand: {actuator: PORT | URL | false}` in the compose
file or the container label `dockhand.actuator` (same values), else found by asking each published TCP port once
per container start. A configured endpoint that fails is shown as failing; a port that never answered like an
Actuator is simply not one. Docker's own healthcheck comes from inspect (inspect.docker_health).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockhand.config import Settings
from dockhand.observe import metrics
from dockhand.runtime.discovery import match_project
from dockhand.runtime.state import ActuatorHealth, ContainerInfo, Snapshot, StateStore
from dockhand.runtime.urls import ServiceUrl, published_urls

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("dockhand.health")

Put = Callable[[str, ActuatorHealth | None], None]
"""Where a poller's answers go: (key, health), None when its target went away."""

LABEL = "dockhand.actuator"
HEALTH_PATH = "/actuator/health"
OPENAPI_PATHS = ("/v3/api-docs", "/swagger-ui/index.html", "/openapi.json", "/docs")
STARTING_GRACE_S = 60.0
MAX_BODY_BYTES = 256 * 1024
"""A health answer larger than this is not read (a hostile or confused endpoint must not cost memory or CPU)."""
MAX_COMPONENTS = 50
NOT_ACTUATOR = f"not Actuator health (or larger than {MAX_BODY_BYTES // 1024} KB)"
_OFF = {"false", "off", "no", "0", "none"}


@dataclass(frozen=True)
class Target:
    """Where to poll: candidate base URLs (tried in order) and whether the user asked for it."""

    bases: tuple[str, ...]
    configured: bool


def resolve_target(container: ContainerInfo, setting: object, docker_host: str) -> Target | None:
    """The Actuator target of a container from its `x-dockhand` setting or label, else its published ports."""
    value = setting if setting is not None else container.labels.get(LABEL)
    return target_from(published_urls(container.ports, docker_host), value)


def target_from(urls: Sequence[ServiceUrl], value: object) -> Target | None:
    """The Actuator target among published `urls` for an `actuator` setting (None: unset, so every URL is tried)."""
    if value is not None:
        text = str(value).strip().rstrip("/")
        if isinstance(value, bool) or text.lower() in _OFF:
            return None if value is not True else Target(tuple(u.url for u in urls), False)
        if text.startswith(("http://", "https://")):
            return Target((text.removesuffix("/health").removesuffix("/actuator"),), True)
        if text.isdigit():
            matching = tuple(u.url for u in urls if u.container_port == int(text))
            return Target(matching, True) if matching else None
        return None
    return Target(tuple(u.url for u in urls), False) if urls else None


def parse_actuator(body: Any, url: str, checked_at: float) -> ActuatorHealth | None:
    """An ActuatorHealth from `/actuator/health` JSON; None when the body is not Actuator's shape."""
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        return None
    components: list[tuple[str, str]] = []
    parts = body.get("components") or body.get("details") or {}
    for name, part in list(parts.items())[:MAX_COMPONENTS] if isinstance(parts, dict) else ():
        if isinstance(part, dict) and isinstance(part.get("status"), str):
            components.append((str(name)[:80], part["status"][:40]))
    components.sort()
    return ActuatorHealth(url=url, status=body["status"][:40], components=tuple(components), checked_at=checked_at)


def service_health(container: ContainerInfo, actuator: ActuatorHealth | None, now: float) -> str:
    """One word for a container: `healthy`, `unhealthy`, `starting`, `running` (no checks) or its state."""
    if container.state == "restarting":
        return "restarting"
    if not container.running:
        return container.state
    young = container.started_at is not None and now - container.started_at < STARTING_GRACE_S
    docker = container.health.status if container.health else None
    if docker == "unhealthy":
        return "unhealthy"
    spec = container.healthcheck
    # Within the healthcheck's start_period a failing check is the application warming up, not a fault.
    warming = spec is not None and container.started_at is not None and now - container.started_at < spec.start_period_s
    if actuator is not None:
        if actuator.last_error or actuator.status not in ("UP", "UNKNOWN"):
            starting = warming or ((young or docker == "starting") and actuator.last_error)
            return "starting" if starting else "unhealthy"
        if actuator.status == "UP" and docker in (None, "healthy"):
            return "healthy"
    if docker == "starting":
        return "starting"
    return "healthy" if docker == "healthy" else "running"


class HealthMonitor:
    """Runs the Actuator pollers for the containers in the store; `settings()` is read live for cadence."""

    def __init__(
        self,
        store: StateStore,
        settings: Callable[[], Settings],
        docker_host: str,
    ) -> None:
        import httpx  # here, not at the top: it loads when the live side starts, after the first diagnostics

        self._store = store
        self._settings = settings
        self._docker_host = docker_host
        self._pollers: dict[str, tuple[tuple[Target, float | None], asyncio.Task[None]]] = {}
        self._extra: dict[str, tuple[Mapping[str, Target], Put]] = {}
        """Targets that are not containers of the store (Swarm tasks on any node), by source: keys and sink."""
        self._sinks: dict[str, Put] = {}
        """The sink of each running poller of an extra target."""
        self._wake = asyncio.Event()
        s = settings()
        self._concurrency = s.health_concurrency
        self._limit = asyncio.Semaphore(s.health_concurrency)  # the bound on requests in flight; read live in _get
        self._http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=s.health_concurrency),
            follow_redirects=False,
            trust_env=False,
        )
        store.subscribe(lambda snapshot, change: self._wake.set())

    def watch(self, source: str, targets: Mapping[str, Target], put: Put) -> None:
        """Poll these targets too, in place of what `source` asked for before; answers go to `put(key, health)`
        (None when a target is dropped). Keys must not look like container ids: prefix them."""
        current = self._extra.get(source)
        if current is None or current[0] != targets:
            self._extra[source] = (dict(targets), put)
            self._wake.set()

    async def run(self) -> None:
        """Reconcile pollers with the running containers whenever the store changes."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                self._reconcile(self._store.snapshot)
        finally:
            for _, task in self._pollers.values():
                task.cancel()
            await self._http.aclose()

    def _reconcile(self, snapshot: Snapshot) -> None:
        wanted: dict[str, tuple[Target, float | None]] = {}
        if snapshot.engine.state == "up":
            # Only the projects of this workspace (by name, files or folder): other stacks are not ours to probe.
            mine = {name: p for name, p in snapshot.projects.items() if p.source == "files"}
            for c in snapshot.containers.values():
                project = match_project(c, mine) if c.state == "running" and not c.oneoff else None
                if project is not None:
                    decl = project.service(c.service)
                    setting = service_setting(decl.x_dockhand) if decl is not None else None
                    target = resolve_target(c, setting, self._docker_host)
                    if target is not None and target.bases:
                        wanted[c.id] = (target, c.started_at)
        sinks: dict[str, Put] = {}
        for targets, put in self._extra.values():
            for name, target in targets.items():
                if target.bases:
                    wanted[name], sinks[name] = (target, None), put
        for cid, (key, task) in list(self._pollers.items()):
            if wanted.get(cid) != key:
                task.cancel()
                del self._pollers[cid]
                gone = self._sinks.pop(cid, None)
                if gone is not None and cid not in wanted:  # an extra target that went away: its answer goes too
                    gone(cid, None)
        for cid, key in wanted.items():
            if cid not in self._pollers:
                put = sinks.get(cid, self._store.put_actuator)
                if cid in sinks:
                    self._sinks[cid] = put
                task = asyncio.get_running_loop().create_task(self._poll(cid, key[0], put), name=f"actuator-{cid[:12]}")
                self._pollers[cid] = (key, task)

    async def _get(self, url: str) -> tuple[int, Any]:
        """(HTTP status, parsed JSON or None) — bounded: at most MAX_BODY_BYTES, within the timeout in total."""
        import httpx

        s = self._settings()
        if s.health_concurrency != self._concurrency:  # a settings change applies from the next request on
            self._concurrency = s.health_concurrency
            self._limit = asyncio.Semaphore(s.health_concurrency)  # requests in flight finish on the old one
        async with self._limit:
            try:
                async with asyncio.timeout(s.health_timeout_s):
                    return await self._read(url, s.health_timeout_s)
            except TimeoutError:  # a slow drip of bytes resets httpx's per-read timeout; this one is for the whole
                raise httpx.TimeoutException(f"no answer within {s.health_timeout_s} s") from None

    async def _read(self, url: str, timeout_s: float) -> tuple[int, Any]:
        async with self._http.stream("GET", url, timeout=timeout_s) as response:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    return response.status_code, None
            try:
                return response.status_code, json.loads(body)
            except ValueError:
                return response.status_code, None

    async def _find(self, target: Target) -> tuple[str | None, str]:
        """The first base whose /actuator/health answers like Actuator, and the last error seen."""
        import httpx

        error = ""
        for base in target.bases:
            try:
                status, body = await self._get(base + HEALTH_PATH)
                if parse_actuator(body, base, 0.0) is not None:
                    return base, ""
                error, kind = f"{base}{HEALTH_PATH} answered HTTP {status}: {NOT_ACTUATOR}", "parse"
            except httpx.HTTPError as exc:
                error, kind = f"{base}{HEALTH_PATH}: {_describe(exc)}", _error_kind(exc)
            if target.configured:  # a guessed port that is not Actuator is no error, a configured one is
                metrics.POLLER_ERRORS.labels(kind=kind).inc()
        return None, error

    async def _links(self, base: str) -> tuple[tuple[str, str], ...]:
        import httpx

        links = [("Actuator", base + "/actuator")]
        for path in OPENAPI_PATHS:
            with contextlib.suppress(httpx.HTTPError):
                if (await self._get(base + path))[0] == 200:
                    links.append(("OpenAPI" if "docs" in path or "openapi" in path else "Swagger UI", base + path))
        return tuple(links)

    async def _poll(self, container_id: str, target: Target, put: Put) -> None:
        failures = 0
        base: str | None = None
        links: tuple[tuple[str, str], ...] = ()
        while True:
            s = self._settings()
            if base is None:
                base, error = await self._find(target)
                if base is not None:
                    links = await self._links(base)
            if base is None:
                failures += 1
                if target.configured:
                    url = target.bases[0] + HEALTH_PATH
                    failing = ActuatorHealth(url, "UNKNOWN", (), time.time(), error, failures)
                    put(container_id, failing)
            else:
                health = await self._check(base, links)
                failures = failures + 1 if health.last_error else 0
                put(container_id, dataclasses.replace(health, failures=failures))
            delay = s.health_interval_s * (2 ** min(failures, 6) if failures else 1)
            await asyncio.sleep(min(delay, s.health_max_backoff_s) if failures else delay)

    async def _check(self, base: str, links: tuple[tuple[str, str], ...]) -> ActuatorHealth:
        import httpx

        url = base + HEALTH_PATH
        now = time.time()
        try:
            status, body = await self._get(url)
        except httpx.HTTPError as exc:
            metrics.POLLER_ERRORS.labels(kind=_error_kind(exc)).inc()
            return ActuatorHealth(url, "UNKNOWN", (), now, _describe(exc), 0, links)
        parsed = parse_actuator(body, url, now)
        if parsed is None:
            metrics.POLLER_ERRORS.labels(kind="parse").inc()
            error = f"HTTP {status}: {NOT_ACTUATOR}"
            return ActuatorHealth(url, "UNKNOWN", (), now, error, 0, links)
        return ActuatorHealth(url, parsed.status, parsed.components, now, "", 0, links)


def _error_kind(exc: httpx.HTTPError) -> str:
    """The poller-error metric's label: a small fixed set, never the error text."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    return "http"


def _describe(exc: httpx.HTTPError) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() else f"cannot connect ({exc})"
    return str(exc) or type(exc).__name__


def service_setting(x_dockhand: Mapping[str, Any] | None) -> object:
    """The `actuator` value of a service's `x-dockhand` mapping (None when unset)."""
    return (x_dockhand or {}).get("actuator") if isinstance(x_dockhand, Mapping) else None

"""StateStore: the live picture of Compose containers as immutable snapshots, with change notifications."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from dockhand.errors import DiagnosticError

logger = logging.getLogger("dockhand.state")

EngineState = Literal["up", "down", "unknown"]


@dataclass(frozen=True)
class PortBinding:
    """One published port as the engine bound it (after random ports were chosen)."""

    container_port: int
    protocol: str
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class Probe:
    """One run of the Docker healthcheck: when it ended, its exit code and (trimmed) output."""

    ended_at: float | None
    exit_code: int | None
    output: str


@dataclass(frozen=True)
class HealthcheckSpec:
    """The container's healthcheck as configured: the probe command and its timings (seconds)."""

    test: tuple[str, ...]
    interval_s: float = 30.0
    start_period_s: float = 0.0
    retries: int = 3


@dataclass(frozen=True)
class DockerHealth:
    """The Docker healthcheck: status (`starting`/`healthy`/`unhealthy`), failing streak, last probe."""

    status: str
    failing_streak: int = 0
    last_output: str = ""
    last_exit_code: int | None = None
    probes: tuple[Probe, ...] = ()
    """The last few probe runs, oldest first (the engine keeps five)."""


@dataclass(frozen=True)
class ContainerInfo:
    """One Compose container, as labels and the last inspect describe it."""

    id: str
    name: str
    project: str
    service: str
    number: int = 1
    oneoff: bool = False
    config_files: tuple[str, ...] = ()
    working_dir: str = ""
    config_hash: str = ""
    image: str = ""
    state: str = "created"
    exit_code: int | None = None
    oom_killed: bool = False
    error: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    restart_count: int = 0
    health: DockerHealth | None = None
    ports: tuple[PortBinding, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    last_log_lines: tuple[str, ...] = ()
    recent_restarts: tuple[float, ...] = ()
    """Times of the most recent (re)starts: a loop shows as several within a minute."""
    stopped: bool = False
    """Stopped on purpose (a `stop` event, or exit 0/143 seen at listing), not crashed."""
    restart_policy: str = ""
    """`always`, `unless-stopped`, `on-failure` or empty: whether the engine brings the container back by itself."""
    healthcheck: HealthcheckSpec | None = None
    env: tuple[str, ...] = field(default=(), repr=False)
    """`Config.Env` (`KEY=value`): compared with the file's environment, never shown (values may be secrets)."""
    image_env_keys: frozenset[str] = frozenset()
    """Keys the image itself sets (`PATH`, …): not the file's doing, so never reported as drift."""
    port_holders: tuple[str, ...] = ()
    """Who holds the host port this container failed to publish (from /proc), when its start failed on one."""

    @property
    def running(self) -> bool:
        return self.state in ("running", "restarting")


@dataclass(frozen=True)
class ActuatorHealth:
    """The last answer (or error) of a Spring Boot Actuator `/actuator/health` poller."""

    url: str
    status: str = "UNKNOWN"
    components: tuple[tuple[str, str], ...] = ()
    checked_at: float = 0.0
    last_error: str = ""
    failures: int = 0
    links: tuple[tuple[str, str], ...] = ()
    """(label, url) of Actuator/OpenAPI endpoints that answered."""


@dataclass(frozen=True)
class ServiceDecl:
    """A service as Compose resolves the project's files (`docker compose config`)."""

    name: str
    config_hash: str = ""
    depends_on: tuple[str, ...] = ()
    conditions: Mapping[str, str] = field(default_factory=dict, hash=False)
    """`depends_on` target → condition (`service_started`, `service_healthy`, `service_completed_successfully`)."""
    image: str = ""
    environment: Mapping[str, str | None] = field(default_factory=dict, hash=False, repr=False)
    """The environment the files resolve to (env_file included); values may be secrets: never shown. Compared:
    an edit of only the environment (of an env_file service, which has no hash) must reach the listeners."""
    x_dockhand: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class ProjectInfo:
    """A compose project: its name as Compose derives it, its files and (once resolved) its services."""

    name: str
    working_dir: str
    config_files: tuple[str, ...]
    source: str = "files"
    """`files` (found in the workspace or discovery roots) or `labels` (only running containers name it)."""
    services: tuple[ServiceDecl, ...] = ()
    resolved: bool = False
    error: str = ""

    def service(self, name: str) -> ServiceDecl | None:
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class EngineStatus:
    """Whether the Docker Engine answers, and if not, the error a person can fix."""

    state: EngineState = "unknown"
    host: str = ""
    version: str = ""
    error: DiagnosticError | None = None
    since: float = 0.0


def _frozen(mapping: Mapping[str, object] | None = None) -> Mapping[str, object]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Snapshot:
    """What readers see: never mutated; a change makes a new snapshot with a higher `version`."""

    version: int = 0
    engine: EngineStatus = EngineStatus()
    containers: Mapping[str, ContainerInfo] = field(default_factory=lambda: MappingProxyType({}))
    actuator: Mapping[str, ActuatorHealth] = field(default_factory=lambda: MappingProxyType({}))
    """Keyed by container id."""
    projects: Mapping[str, ProjectInfo] = field(default_factory=lambda: MappingProxyType({}))
    """Known compose projects by name (from files on disk, and from labels of running containers)."""
    compose_error: DiagnosticError | None = None

    def project_containers(self, project: str, *, include_oneoff: bool = False) -> list[ContainerInfo]:
        found = [c for c in self.containers.values() if c.project == project and (include_oneoff or not c.oneoff)]
        return sorted(found, key=lambda c: (c.service, c.number))

    def service_containers(self, project: str, service: str) -> list[ContainerInfo]:
        return [c for c in self.project_containers(project) if c.service == service]

    def project_for_file(self, path: str) -> ProjectInfo | None:
        """The project that lists `path` among its config files."""
        return next((p for p in self.projects.values() if path in p.config_files), None)

    def running_project(self, files: Iterable[str], derived: str) -> str:
        """The project name the containers of these compose files run under (`docker compose -p other up` still names
        the files in its labels): `derived` when any run under it, else the most recently started, else `derived`."""
        wanted = set(files)
        labelled = sorted(
            (c.project != derived, -(c.started_at or 0.0), c.project)
            for c in self.containers.values()
            if wanted.intersection(c.config_files) and not c.oneoff
        )
        return labelled[0][2] if labelled else derived


@dataclass(frozen=True)
class Change:
    """What a store update touched: the projects whose containers or health changed, and engine flips."""

    projects: frozenset[str] = frozenset()
    engine: bool = False
    at: float = field(default_factory=time.monotonic)
    cause_ns: int = 0
    """Engine time (ns) of the Docker event that caused the change, 0 when none (for latency figures)."""


Listener = Callable[[Snapshot, Change], None]


class StateStore:
    """Holds the current Snapshot. Writers call the update methods (on the server's loop); listeners hear."""

    def __init__(self) -> None:
        self._snapshot = Snapshot()
        self._listeners: list[Listener] = []

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(snapshot, change)` after every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _publish(self, snapshot: Snapshot, change: Change) -> None:
        self._snapshot = snapshot
        for listener in list(self._listeners):
            try:
                listener(snapshot, change)
            except Exception:  # a broken listener must not stop the others or the writer
                logger.exception("state listener failed")

    def _next(self, **updates: object) -> Snapshot:
        return dataclasses.replace(self._snapshot, version=self._snapshot.version + 1, **updates)  # type: ignore[arg-type]

    def set_engine(self, engine: EngineStatus) -> None:
        old = self._snapshot.engine
        if (old.state, old.error, old.version) == (engine.state, engine.error, engine.version):
            return
        self._publish(self._next(engine=engine), Change(engine=True))

    def replace_all(self, containers: Iterable[ContainerInfo], engine: EngineStatus | None = None) -> None:
        """A full resync (after connecting): every project whose containers differ is reported."""
        new = {c.id: c for c in containers}
        old = self._snapshot.containers
        touched = {c.project for cid, c in new.items() if old.get(cid) != c}
        touched |= {c.project for cid, c in old.items() if cid not in new}
        engine_changed = engine is not None and engine != self._snapshot.engine
        updates: dict[str, object] = {"containers": _frozen(new)}
        if engine is not None:
            updates["engine"] = engine
        actuator = {cid: a for cid, a in self._snapshot.actuator.items() if cid in new}
        updates["actuator"] = _frozen(actuator)
        self._publish(self._next(**updates), Change(projects=frozenset(touched), engine=engine_changed))

    def put_container(self, container: ContainerInfo, cause_ns: int = 0) -> None:
        if self._snapshot.containers.get(container.id) == container:
            return
        containers = dict(self._snapshot.containers)
        containers[container.id] = container
        self._publish(
            self._next(containers=_frozen(containers)),
            Change(projects=frozenset({container.project}), cause_ns=cause_ns),
        )

    def remove_container(self, container_id: str, cause_ns: int = 0) -> None:
        gone = self._snapshot.containers.get(container_id)
        if gone is None:
            return
        containers = {k: v for k, v in self._snapshot.containers.items() if k != container_id}
        actuator = {k: v for k, v in self._snapshot.actuator.items() if k != container_id}
        self._publish(
            self._next(containers=_frozen(containers), actuator=_frozen(actuator)),
            Change(projects=frozenset({gone.project}), cause_ns=cause_ns),
        )

    def put_actuator(self, container_id: str, health: ActuatorHealth | None) -> None:
        container = self._snapshot.containers.get(container_id)
        old = self._snapshot.actuator.get(container_id)
        if container is None or same_actuator(old, health):
            return
        actuator = dict(self._snapshot.actuator)
        if health is None:
            actuator.pop(container_id, None)
        else:
            actuator[container_id] = health
        self._publish(self._next(actuator=_frozen(actuator)), Change(projects=frozenset({container.project})))

    def set_projects(self, projects: Iterable[ProjectInfo]) -> None:
        new = {p.name: p for p in projects}
        old = self._snapshot.projects
        touched = {n for n in new.keys() | old.keys() if new.get(n) != old.get(n)}
        if not touched:
            return
        self._publish(self._next(projects=_frozen(new)), Change(projects=frozenset(touched)))

    def set_compose_error(self, error: DiagnosticError | None) -> None:
        if self._snapshot.compose_error == error:
            return
        self._publish(self._next(compose_error=error), Change(engine=True))


def same_actuator(old: ActuatorHealth | None, new: ActuatorHealth | None) -> bool:
    """Equal apart from the time of the check: a poll that saw nothing new is not a change."""
    if old is None or new is None:
        return old is new
    return dataclasses.replace(old, checked_at=0.0) == dataclasses.replace(new, checked_at=0.0)

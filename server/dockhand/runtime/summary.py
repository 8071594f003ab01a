"""What one service looks like right now, from a snapshot (pure): the summary behind lenses, hovers and the tree."""

from __future__ import annotations

import time
from dataclasses import dataclass

from dockhand.runtime.health import service_health
from dockhand.runtime.state import ActuatorHealth, ContainerInfo, Snapshot
from dockhand.runtime.urls import ServiceUrl, published_urls
from dockhand.runtime.why import drift

_RANK = {"unhealthy": 0, "restarting": 1, "starting": 2, "running": 3, "healthy": 4}


@dataclass(frozen=True)
class ServiceSummary:
    """A service across its replicas: the worst replica's health decides the headline."""

    project: str
    service: str
    state: str
    """`running`, `exited`, `restarting`, `paused`, `created`, `not running` (no container), `unknown` (no engine)."""
    health: str
    """`healthy`, `unhealthy`, `starting`, `running` (no checks), `restarting`, or the state when not running."""
    containers: tuple[ContainerInfo, ...]
    actuator: tuple[ActuatorHealth, ...]
    urls: tuple[ServiceUrl, ...]
    links: tuple[tuple[str, str], ...]
    running: int
    out_of_date: bool
    engine_up: bool
    engine_state: str = "up"

    @property
    def primary(self) -> ContainerInfo | None:
        return self.containers[0] if self.containers else None


def summarize(snapshot: Snapshot, project: str, service: str, now: float | None = None) -> ServiceSummary:
    """Fold the containers of `project`/`service` into one summary."""
    now = time.time() if now is None else now
    containers = tuple(snapshot.service_containers(project, service))
    actuators = tuple(a for c in containers if (a := snapshot.actuator.get(c.id)) is not None)
    running = [c for c in containers if c.running]
    engine_up = snapshot.engine.state == "up"
    if not containers:
        state = "not running" if engine_up else "unknown"
        health = state
    elif running:
        healths = [service_health(c, snapshot.actuator.get(c.id), now) for c in running]
        health = min(healths, key=lambda h: _RANK.get(h, 3))
        state = "restarting" if health == "restarting" else running[0].state
    else:
        state = containers[0].state
        health = state
    urls: list[ServiceUrl] = []
    for c in running:
        urls.extend(u for u in published_urls(c.ports, snapshot.engine.host) if u not in urls)
    links = tuple(dict.fromkeys(link for a in actuators for link in a.links))
    declared = snapshot.projects.get(project)
    decl = declared.service(service) if declared else None
    out_of_date = bool(
        decl and decl.config_hash and any(c.config_hash and c.config_hash != decl.config_hash for c in containers)
    )
    if decl is not None and not decl.config_hash and decl.environment:  # no usable hash: compare key by key
        out_of_date = any(drift(c, decl) for c in containers)
    return ServiceSummary(
        project,
        service,
        state,
        health,
        containers,
        actuators,
        tuple(urls),
        links,
        len(running),
        out_of_date,
        engine_up,
        snapshot.engine.state,
    )


def symbol(summary: ServiceSummary) -> str:
    """● healthy/running, ◐ starting, ✖ unhealthy/exited with an error, ○ not running, ? engine unknown."""
    if not summary.engine_up:
        return "?"
    if summary.health in ("unhealthy", "restarting", "dead"):
        return "✖"
    if summary.state == "exited":
        c = summary.primary
        return "✖" if c is not None and (c.exit_code or c.oom_killed) else "○"
    if summary.health == "starting":
        return "◐"
    return "●" if summary.running else "○"


def headline(summary: ServiceSummary) -> str:
    """`● healthy`, `✖ exited (137, OOM-killed)`, `○ not running`, `? engine down` (whatever was last known)."""
    if not summary.engine_up:
        return "? engine down" if summary.engine_state == "down" else "? connecting to Docker"
    c = summary.primary
    if summary.state == "exited" and c is not None:
        detail = f"{c.exit_code}{', OOM-killed' if c.oom_killed else ''}"
        return f"{symbol(summary)} exited ({detail})"
    text = summary.health if summary.running else summary.state
    if len(summary.containers) > 1:
        text += f" {summary.running}/{len(summary.containers)}"
    return f"{symbol(summary)} {text}"


def duration(seconds: float) -> str:
    """`42 s`, `3 min`, `2 h 5 min`, `3 d 4 h`."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def stale_text(since: float, now: float) -> str:
    """`stale: state as of 12:00:01, 7 s old` — what a snapshot kept past its source's last answer says."""
    return f"stale: state as of {clock(since)}, {duration(now - since)} old"


def clock(epoch: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else "?"

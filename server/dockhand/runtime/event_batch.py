"""Coalesces a batch of Docker container events into one plan per container: a storm costs at most one inspect per
container per batch, and none where the events themselves say what changed (exit code, stop, pause, health)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dockhand.runtime.state import ContainerInfo, DockerHealth

_SIGTERM = ("15", "SIGTERM", "TERM")


@dataclass
class ContainerPlan:
    """What a batch's events say about one container, in the order they happened."""

    container_id: str
    events: int = 0
    first_ns: int = 0
    removed: bool = False
    inspect: bool = False
    """Something only `inspect` knows changed (start, create, restart, unhealthy's probe output …)."""
    exited_ns: int | None = None
    """Set when a `die` is the latest lifecycle event: the container is down since then."""
    exit_code: int | None = None
    fetch_logs: bool = False
    oom: bool = False
    stopped: bool | None = None
    paused: bool | None = None
    health: str | None = None


def plan_batch(events: Iterable[Mapping[str, Any]], terminating: set[str]) -> dict[str, ContainerPlan]:
    """One plan per container, in first-seen order. `terminating` (containers sent SIGTERM, whose coming exit is on
    purpose) is carried across batches and updated here."""
    plans: dict[str, ContainerPlan] = {}
    for event in events:
        actor = event.get("Actor") or {}
        container_id = str(actor.get("ID") or event.get("id") or "")
        if not container_id:
            continue
        action = str(event.get("Action") or event.get("status") or "")
        attributes = actor.get("Attributes") or {}
        plan = plans.setdefault(container_id, ContainerPlan(container_id))
        plan.events += 1
        plan.first_ns = plan.first_ns or int(event.get("timeNano") or 0)
        if action == "destroy":
            plan.removed = True
        elif action == "kill":
            if str(attributes.get("signal", "")) in _SIGTERM:
                terminating.add(container_id)
        elif action == "die":
            code = str(attributes.get("exitCode", ""))
            plan.exited_ns = int(event.get("timeNano") or 0) or time.time_ns()
            plan.exit_code = int(code) if code.isdigit() else None
            plan.stopped = container_id in terminating
            plan.fetch_logs, plan.health, plan.paused = True, None, None
        elif action == "stop":
            plan.stopped = True
        elif action == "oom":
            plan.oom = plan.fetch_logs = True
        elif action in ("pause", "unpause"):
            plan.paused = action == "pause"
        elif action.startswith("health_status"):
            plan.health = action.partition(":")[2].strip() or None
            plan.inspect = plan.inspect or plan.health in (None, "unhealthy")  # the failing probe's output
        else:  # start, create, restart, …: new ports, start time, restart count come from inspect
            plan.inspect = True
            if action == "start":
                plan.exited_ns, plan.exit_code, plan.stopped, plan.fetch_logs, plan.oom = (
                    None,
                    None,
                    False,
                    False,
                    False,
                )
        if action in ("start", "die", "stop"):
            terminating.discard(container_id)
    return plans


def derive(previous: ContainerInfo, plan: ContainerPlan) -> ContainerInfo:
    """The container as the events describe it, from its last known state (no engine call)."""
    info = previous
    if plan.exited_ns is not None:
        code = plan.exit_code if plan.exit_code is not None else info.exit_code
        info = dataclasses.replace(info, state="exited", exit_code=code, finished_at=plan.exited_ns / 1e9, health=None)
    if plan.oom:
        info = dataclasses.replace(info, oom_killed=True)
    if plan.paused is not None and info.state in ("running", "paused"):
        info = dataclasses.replace(info, state="paused" if plan.paused else "running")
    if plan.health is not None and info.state in ("running", "paused"):
        old = info.health or DockerHealth(plan.health)
        healthy = plan.health == "healthy"
        info = dataclasses.replace(
            info,
            health=DockerHealth(
                plan.health,
                0 if healthy else old.failing_streak,
                "" if healthy and old.status != "healthy" else old.last_output,
                0 if healthy else old.last_exit_code,
                old.probes,
            ),
        )
    if plan.stopped is not None:
        info = dataclasses.replace(info, stopped=plan.stopped and info.state not in ("running", "restarting", "paused"))
    return info

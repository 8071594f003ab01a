"""Runtime findings for a compose file's services, from a snapshot (pure): exits, OOM, unhealthy, loops, drift,
taken ports, held-back starts; the words come from runtime/why.py."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from dockhand.runtime.health import STARTING_GRACE_S
from dockhand.runtime.inspect import RESTART_WINDOW_S
from dockhand.runtime.state import ContainerInfo, ServiceDecl, Snapshot
from dockhand.runtime.summary import clock
from dockhand.runtime.why import (
    drift,
    drift_text,
    explain_exit,
    failing_probe,
    held_back_by,
    port_clash,
    start_period_left,
    starting_text,
)

LOOP_STARTS = 3


@dataclass(frozen=True)
class Finding:
    """One runtime problem. `service` None means the project as a whole (shown on `services:`)."""

    service: str | None
    severity: str
    """`error`, `warning`, `info`."""
    message: str
    code: str


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_started(
    snapshot: Snapshot, project: str, name: str, mine: Sequence[ContainerInfo], decl: ServiceDecl | None, now: float
) -> Finding:
    """Why a declared service has no running container: a taken host port, a dependency, or simply not started."""
    clash = next((text for c in mine if (text := port_clash(c, snapshot)) is not None), None)
    if clash is not None:
        return Finding(name, "error", f"`{name}` could not start: {clash}", "port-taken")
    blocker = held_back_by(snapshot, project, decl, now) if decl is not None and mine else None
    if blocker is not None:
        severity = "info" if "still starting" in blocker else "error"
        return Finding(name, severity, f"`{name}` is not started: it {blocker}", "held-back")
    return Finding(name, "info", f"`{name}` is declared but not running", "not-running")


def _container_finding(snapshot: Snapshot, name: str, label: str, c: ContainerInfo, now: float) -> Finding | None:
    """The one problem of a container that exists: a loop, a crash, a failing probe, Actuator, a killed process."""
    starts = [t for t in c.recent_restarts if now - t <= RESTART_WINDOW_S]
    if c.state == "restarting" or (c.running and len(starts) >= LOOP_STARTS and c.restart_count):
        meaning = f": {explain_exit(c.exit_code)}" if c.exit_code not in (None, 0, 1) else ""
        code_text = f"; last exit code {c.exit_code}{meaning}" if c.exit_code is not None else ""
        restarts = f"{max(len(starts), c.restart_count)} restarts"
        return Finding(name, "error", f"{label} is restarting in a loop ({restarts}{code_text})", "restart-loop")
    if c.state in ("exited", "dead") and not c.stopped and (c.exit_code or c.oom_killed):
        tail = " | ".join(_one_line(line, 120) for line in c.last_log_lines[-3:])
        logs = f". Last log lines: {tail}" if tail else ""
        why = explain_exit(c.exit_code, c.oom_killed)
        text = f"{label} exited with code {c.exit_code} at {clock(c.finished_at)} — {why}{logs}"
        return Finding(name, "error", text, "exited-oom" if c.oom_killed else "exited")
    if c.state == "exited":
        how = "was stopped" if c.stopped else "finished"
        text = f"{label} {how} (exit code {c.exit_code}) at {clock(c.finished_at)}"
        return Finding(name, "info", text, "stopped" if c.stopped else "exited-ok")
    if c.running and c.health is not None and c.health.status == "unhealthy":
        text = f"{label} is unhealthy: {failing_probe(c.health, c.healthcheck)}"
        return Finding(name, "error", text, "unhealthy")
    if c.running and c.oom_killed:
        text = f"{label}: a process was killed for lack of memory (OOM) — raise `mem_limit` or use less memory"
        return Finding(name, "warning", text, "oom-process")
    starting = starting_text(c, now) if c.running else None
    if starting is not None and "fail" in starting:
        return Finding(name, "info", f"{label} is {starting}", "starting")
    if c.running and (a := snapshot.actuator.get(c.id)) is not None:
        young = c.started_at is not None and now - c.started_at < STARTING_GRACE_S
        young = young or start_period_left(c, now) is not None
        down = [f"{n} {s}" for n, s in a.components if s not in ("UP", "UNKNOWN")]
        if a.last_error and not young:
            text = f"{label} Actuator health does not answer: {_one_line(a.last_error)}"
            return Finding(name, "warning", text, "actuator-unreachable")
        if not a.last_error and a.status not in ("UP", "UNKNOWN") and start_period_left(c, now) is None:
            parts = f" ({', '.join(down)})" if down else ""
            return Finding(name, "error", f"{label} Actuator health is {a.status}{parts}", "actuator-down")
    return None


def _drift_finding(name: str, mine: Sequence[ContainerInfo], decl: ServiceDecl) -> Finding | None:
    """The file changed since the container was created: which keys, and that only a recreate applies them."""
    stale = [c for c in mine if decl.config_hash and c.config_hash and c.config_hash != decl.config_hash]
    if decl.config_hash and not stale:
        return None  # Compose's own hash says the container matches: trust it over a key-by-key guess
    detail = next((text for c in (stale or mine) if (text := drift_text(drift(c, decl)))), "")
    if not stale and not detail:
        return None
    changes = f" ({detail})" if detail else ""
    text = (
        f"`{name}`'s container is older than this file{changes}: `restart` keeps the old container — "
        "recreate to apply the changes (`docker compose up -d`)"
    )
    return Finding(name, "warning", text, "out-of-date")


def diagnose(snapshot: Snapshot, project: str, declared: Sequence[str], now: float | None = None) -> list[Finding]:
    """Findings for `project` whose file declares the services `declared`."""
    now = time.time() if now is None else now
    engine = snapshot.engine
    if engine.state == "down" and engine.error is not None:
        return [Finding(None, "warning", f"{engine.error.message} — {engine.error.remediation}", engine.error.code)]
    containers = snapshot.project_containers(project)
    if not containers or engine.state != "up":
        return []
    findings: list[Finding] = []
    info = snapshot.projects.get(project)
    for name in declared:
        mine = [c for c in containers if c.service == name]
        decl = info.service(name) if info else None
        if not mine or (not any(c.running for c in mine) and all(c.state == "created" for c in mine)):
            findings.append(_not_started(snapshot, project, name, mine, decl, now))
            continue
        for c in mine:
            label = c.name if len(mine) > 1 else f"`{name}`"
            finding = _container_finding(snapshot, name, label, c, now)
            if finding is not None:
                findings.append(finding)
        if decl is not None:
            finding = _drift_finding(name, mine, decl)
            if finding is not None:
                findings.append(finding)
    known = set(declared) | ({s.name for s in info.services} if info else set())
    orphans = sorted({c.name for c in containers if c.service not in known})
    if orphans:
        text = (
            f"Orphan containers of project `{project}` (their services are not in the file): {', '.join(orphans)}"
            " — `docker compose up --remove-orphans` removes them"
        )
        findings.append(Finding(None, "warning", text, "orphans"))
    return findings

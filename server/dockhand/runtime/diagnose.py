"""Runtime findings for a compose file's services, from a snapshot (pure): exits, OOM, unhealthy, loops, drift."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from dockhand.runtime.engine import RESTART_WINDOW_S
from dockhand.runtime.health import STARTING_GRACE_S
from dockhand.runtime.state import Snapshot
from dockhand.runtime.summary import clock

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
        if not mine or (not any(c.running for c in mine) and all(c.state == "created" for c in mine)):
            findings.append(Finding(name, "info", f"`{name}` is declared but not running", "not-running"))
            continue
        decl = info.service(name) if info else None
        for c in mine:
            label = c.name if len(mine) > 1 else f"`{name}`"
            starts = [t for t in c.recent_restarts if now - t <= RESTART_WINDOW_S]
            if c.state == "restarting" or (c.running and len(starts) >= LOOP_STARTS and c.restart_count):
                code_text = f"; last exit code {c.exit_code}" if c.exit_code is not None else ""
                restarts = f"{max(len(starts), c.restart_count)} restarts"
                findings.append(
                    Finding(name, "error", f"{label} is restarting in a loop ({restarts}{code_text})", "restart-loop")
                )
            elif c.state in ("exited", "dead") and not c.stopped and (c.exit_code or c.oom_killed):
                oom = " — killed: out of memory (OOM)" if c.oom_killed else ""
                tail = " | ".join(_one_line(line, 120) for line in c.last_log_lines[-3:])
                logs = f". Last log lines: {tail}" if tail else ""
                text = f"{label} exited with code {c.exit_code}{oom} at {clock(c.finished_at)}{logs}"
                findings.append(Finding(name, "error", text, "exited-oom" if c.oom_killed else "exited"))
            elif c.state == "exited":
                how = "was stopped" if c.stopped else "finished"
                text = f"{label} {how} (exit code {c.exit_code}) at {clock(c.finished_at)}"
                findings.append(Finding(name, "info", text, "stopped" if c.stopped else "exited-ok"))
            elif c.running and c.health is not None and c.health.status == "unhealthy":
                probe = _one_line(c.health.last_output) or "no output"
                text = f"{label} is unhealthy (failing streak {c.health.failing_streak}): {probe}"
                findings.append(Finding(name, "error", text, "unhealthy"))
            elif c.running and (a := snapshot.actuator.get(c.id)) is not None:
                young = c.started_at is not None and now - c.started_at < STARTING_GRACE_S
                down = [f"{n} {s}" for n, s in a.components if s not in ("UP", "UNKNOWN")]
                if a.last_error and not young:
                    text = f"{label} Actuator health does not answer: {_one_line(a.last_error)}"
                    findings.append(Finding(name, "warning", text, "actuator-unreachable"))
                elif not a.last_error and a.status not in ("UP", "UNKNOWN"):
                    parts = f" ({', '.join(down)})" if down else ""
                    text = f"{label} Actuator health is {a.status}{parts}"
                    findings.append(Finding(name, "error", text, "actuator-down"))
        if decl is not None and decl.config_hash and any(c.config_hash != decl.config_hash for c in mine):
            text = f"`{name}`'s container is older than this file: recreate to apply the changes"
            findings.append(Finding(name, "warning", text, "out-of-date"))
    known = set(declared) | ({s.name for s in info.services} if info else set())
    orphans = sorted({c.name for c in containers if c.service not in known})
    if orphans:
        text = (
            f"Orphan containers of project `{project}` (their services are not in the file): {', '.join(orphans)}"
            " — `docker compose up --remove-orphans` removes them"
        )
        findings.append(Finding(None, "warning", text, "orphans"))
    return findings

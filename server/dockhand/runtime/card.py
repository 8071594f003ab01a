"""The live hover card of a service as Markdown, built from a snapshot (pure: no I/O, answers in microseconds)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from dockhand.runtime.diagnose import diagnose
from dockhand.runtime.state import ContainerInfo, Snapshot
from dockhand.runtime.summary import clock, duration, headline, stale_text, summarize
from dockhand.runtime.why import explain_exit, failed_streak, format_probe_output, probe_command, starting_text

MAX_OUTPUT = 300
PROBES_SHOWN = 3
_WHY_CODES = {"port-taken", "held-back", "out-of-date", "oom-process", "restart-loop"}
"""Findings the card repeats as they are; exits and probes it shows in more detail itself."""


def _docker_health(c: ContainerInfo, now: float) -> list[str]:
    """The Docker health line, and while it is not healthy the probe's command and its last few outputs."""
    h = c.health
    assert h is not None
    starting = starting_text(c, now)
    status = f"**{h.status}**" + (f" — {starting.removeprefix('starting: ')}" if starting else "")
    if h.status == "healthy" or c.healthcheck is None:
        return [f"- Docker health: {status}"]
    spec = c.healthcheck
    streak = f", {failed_streak(h.failing_streak)}" if h.failing_streak else ""
    head = f"- Docker health: {status} · probe `{probe_command(spec.test)}` (every {spec.interval_s:g} s{streak})"
    runs = [
        f"  - {clock(p.ended_at)} exit {p.exit_code}: {_code(format_probe_output(p.output))}"
        for p in h.probes[-PROBES_SHOWN:]
    ]
    return [head, *runs] if starting is None or "fail" in starting else [head]


def _code(text: str) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= MAX_OUTPUT else text[: MAX_OUTPUT - 1] + "…"
    quoted = text.replace("`", "'")
    return f"`{quoted}`" if text else "(no output)"


def live_card(
    snapshot: Snapshot,
    project: str,
    service: str,
    depends_on: Sequence[str] = (),
    dependents: Sequence[str] = (),
    now: float | None = None,
    resources: str = "",
) -> str:
    """Markdown: state and uptime, health (Docker + Actuator), exit explained, why it is broken, resource use,
    restarts, URLs, image, replicas, dependencies. `resources` is the resource line (runtime/resources.py)."""
    now = time.time() if now is None else now
    s = summarize(snapshot, project, service, now)
    lines = [f"**Live** · project `{project}` · {headline(s)}"]
    engine = snapshot.engine
    if engine.state == "down" and engine.error is not None:
        lines.append(f"- ⚠ {engine.error.message} — {engine.error.remediation} ({stale_text(engine.since, now)})")
    c = s.primary
    if c is not None:
        if c.running and c.started_at:
            lines.append(f"- Up {duration(now - c.started_at)} (since {clock(c.started_at)})")
        if c.state in ("exited", "dead"):
            why = explain_exit(c.exit_code, c.oom_killed)
            lines.append(f"- Exited with code {c.exit_code} at {clock(c.finished_at)} — {why}")
            if c.last_log_lines:
                lines.append("- Last log lines:\n\n```\n" + "\n".join(c.last_log_lines[-5:]) + "\n```\n")
        if c.health is not None:
            lines.extend(_docker_health(c, now))
        lines.extend(f"- ⚠ {f.message}" for f in diagnose(snapshot, project, [service], now) if f.code in _WHY_CODES)
        if resources:
            lines.append(f"- {resources}")
        for a in s.actuator:
            parts = ", ".join(f"{name} {status}" for name, status in a.components)
            if a.last_error:
                lines.append(f"- Actuator [{a.url}]({a.url}): **{a.status}** · last error: {_code(a.last_error)}")
            else:
                ago = f" (checked {duration(now - a.checked_at)} ago)" if a.checked_at else ""
                lines.append(f"- Actuator: **{a.status}**{' — ' + parts if parts else ''}{ago}")
        restarts = sum(x.restart_count for x in s.containers)
        if restarts:
            lines.append(f"- Restarts: {restarts}")
        lines.append(f"- Image: `{c.image}`")
        if len(s.containers) > 1:
            lines.append(f"- Replicas: {s.running}/{len(s.containers)} running")
    links = [f"[{u.label}]({u.url})" for u in s.urls] + [f"[{label}]({url})" for label, url in s.links]
    if links:
        lines.append("- URLs: " + " · ".join(links))
    if depends_on:
        lines.append("- Depends on: " + ", ".join(f"`{d}`" for d in depends_on))
    if dependents:
        lines.append("- Needed by: " + ", ".join(f"`{d}`" for d in dependents))
    return "\n".join(lines)

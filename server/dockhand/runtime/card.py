"""The live hover card of a service as Markdown, built from a snapshot (pure: no I/O, answers in microseconds)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from dockhand.runtime.state import Snapshot
from dockhand.runtime.summary import clock, duration, headline, summarize

MAX_OUTPUT = 300


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
) -> str:
    """Markdown: state and uptime, health (Docker + Actuator), exit, restarts, URLs, image, replicas, dependencies."""
    now = time.time() if now is None else now
    s = summarize(snapshot, project, service, now)
    lines = [f"**Live** · project `{project}` · {headline(s)}"]
    engine = snapshot.engine
    if engine.state == "down" and engine.error is not None:
        lines.append(f"- ⚠ {engine.error.message} — {engine.error.remediation} (state as of {clock(engine.since)})")
    c = s.primary
    if c is not None:
        if c.running and c.started_at:
            lines.append(f"- Up {duration(now - c.started_at)} (since {clock(c.started_at)})")
        if c.state in ("exited", "dead"):
            oom = ", killed: out of memory (OOM)" if c.oom_killed else ""
            lines.append(f"- Exited with code {c.exit_code}{oom} at {clock(c.finished_at)}")
            if c.last_log_lines:
                lines.append("- Last log lines:\n\n```\n" + "\n".join(c.last_log_lines[-5:]) + "\n```\n")
        if c.health is not None:
            h = c.health
            streak = f", failing streak {h.failing_streak}" if h.failing_streak else ""
            lines.append(f"- Docker health: **{h.status}**{streak} · last probe: {_code(h.last_output)}")
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
        if s.out_of_date:
            lines.append("- ⚠ Container is older than this file: recreate to apply")
    links = [f"[{u.label}]({u.url})" for u in s.urls] + [f"[{label}]({url})" for label, url in s.links]
    if links:
        lines.append("- URLs: " + " · ".join(links))
    if depends_on:
        lines.append("- Depends on: " + ", ".join(f"`{d}`" for d in depends_on))
    if dependents:
        lines.append("- Needed by: " + ", ".join(f"`{d}`" for d in dependents))
    return "\n".join(lines)

"""A ContainerInfo from `docker inspect` output (pure): labels, state, health and its probes, ports, environment."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dockhand.runtime.state import ContainerInfo, DockerHealth, HealthcheckSpec, PortBinding, Probe

LABEL = "com.docker.compose."
PROJECT = LABEL + "project"
RESTART_WINDOW_S = 60.0
PROBES_KEPT = 3
MAX_PROBE = 2000
"""Characters of one probe's output kept (the engine keeps up to 4 KB each; the hover shows far less)."""
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def epoch_seconds(value: str | None) -> float | None:
    """Docker's RFC 3339 nanosecond timestamps as epoch seconds; the zero time means never."""
    match = _RFC3339.match(value or "")
    if match is None or match.group(1).startswith("0001-"):
        return None
    zone = match.group(3) or "Z"
    text = f"{match.group(1)}.{(match.group(2) or '0')[:6]}{'+00:00' if zone == 'Z' else zone}"
    return datetime.fromisoformat(text).timestamp()


def _ports(attrs: Mapping[str, Any]) -> tuple[PortBinding, ...]:
    found: list[PortBinding] = []
    for key, bindings in ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, proto = key.partition("/")
        for b in bindings or ():
            with contextlib.suppress(ValueError, TypeError):
                found.append(PortBinding(int(port), proto or "tcp", b.get("HostIp") or "", int(b.get("HostPort"))))
    return tuple(sorted(found, key=lambda p: (p.container_port, p.protocol, p.host_ip)))


def docker_health(state: Mapping[str, Any]) -> DockerHealth | None:
    """The healthcheck part of an inspect `State`, or None when the container has no healthcheck."""
    health = state.get("Health")
    if not health or health.get("Status") in (None, "", "none"):
        return None
    log = health.get("Log") or []
    last = log[-1] if log else {}
    probes = tuple(
        Probe(
            epoch_seconds(entry.get("End")), entry.get("ExitCode"), str(entry.get("Output") or "").strip()[:MAX_PROBE]
        )
        for entry in log[-PROBES_KEPT:]
        if isinstance(entry, Mapping)
    )
    return DockerHealth(
        status=str(health["Status"]),
        failing_streak=int(health.get("FailingStreak") or 0),
        last_output=str(last.get("Output") or "").strip()[:MAX_PROBE],
        last_exit_code=last.get("ExitCode"),
        probes=probes,
    )


def healthcheck_spec(config: Mapping[str, Any]) -> HealthcheckSpec | None:
    """The `Config.Healthcheck` of an inspect (durations are nanoseconds; zero means Docker's default)."""
    check = config.get("Healthcheck") or {}
    test = tuple(str(t) for t in check.get("Test") or ())
    if not test or test[0] == "NONE":
        return None

    def seconds(key: str, default: float) -> float:
        return float(check.get(key) or 0) / 1e9 or default

    return HealthcheckSpec(test, seconds("Interval", 30.0), seconds("StartPeriod", 0.0), int(check.get("Retries") or 3))


def _restart_policy(attrs: Mapping[str, Any]) -> str:
    name = str(((attrs.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "")
    return "" if name == "no" else name


def container_from_inspect(
    attrs: Mapping[str, Any],
    previous: ContainerInfo | None = None,
    log_lines: tuple[str, ...] | None = None,
    stopped: bool | None = None,
    image_env_keys: frozenset[str] = frozenset(),
    port_holders: tuple[str, ...] = (),
) -> ContainerInfo:
    """A ContainerInfo from `docker inspect` output, carrying over what only history knows (restarts, logs)."""
    labels: dict[str, str] = dict((attrs.get("Config") or {}).get("Labels") or {})
    state: Mapping[str, Any] = attrs.get("State") or {}
    started = epoch_seconds(state.get("StartedAt"))
    restarts = previous.recent_restarts if previous else ()
    if started is not None and (not restarts or abs(restarts[-1] - started) > 0.001):
        restarts = (*restarts, started)
    if started is not None:
        restarts = tuple(t for t in restarts if started - t <= RESTART_WINDOW_S)[-10:]
    status = str(state.get("Status") or "created")
    running = status in ("running", "restarting", "paused")
    exit_code = None if running or status == "created" else int(state.get("ExitCode") or 0)
    if stopped is None:  # without a `stop` event to go by, SIGTERM's and a clean exit's codes mean "stopped"
        stopped = previous.stopped if previous is not None else exit_code in (0, 143)
    return ContainerInfo(
        id=str(attrs.get("Id", "")),
        name=str(attrs.get("Name", "")).lstrip("/"),
        project=labels.get(PROJECT, ""),
        service=labels.get(LABEL + "service", ""),
        number=int(labels.get(LABEL + "container-number") or 1),
        oneoff=labels.get(LABEL + "oneoff", "False").lower() == "true",
        config_files=tuple(f for f in labels.get(LABEL + "project.config_files", "").split(",") if f),
        working_dir=labels.get(LABEL + "project.working_dir", ""),
        config_hash=labels.get(LABEL + "config-hash", ""),
        image=str((attrs.get("Config") or {}).get("Image") or attrs.get("Image") or ""),
        state=status,
        exit_code=exit_code,
        oom_killed=bool(state.get("OOMKilled")),
        error=str(state.get("Error") or ""),
        started_at=started,
        finished_at=epoch_seconds(state.get("FinishedAt")),
        restart_count=int(attrs.get("RestartCount") or 0),
        health=docker_health(state) if running else None,
        ports=_ports(attrs),
        labels=labels,
        last_log_lines=log_lines if log_lines is not None else (previous.last_log_lines if previous else ()),
        recent_restarts=restarts,
        stopped=bool(stopped) and not running,
        restart_policy=_restart_policy(attrs),
        healthcheck=healthcheck_spec(attrs.get("Config") or {}),
        env=tuple(str(e) for e in (attrs.get("Config") or {}).get("Env") or ()),
        image_env_keys=image_env_keys,
        port_holders=port_holders,
    )

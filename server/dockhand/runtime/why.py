"""Why a service is broken, in words a person can act on (pure): exit codes, failing probes, held-back starts,
taken host ports, drift between the file and the running container, and the healthcheck's start period.

runtime/diagnose.py turns these into diagnostics on the service's line; runtime/card.py shows them in the hover.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockhand.runtime.ports import allocated_by_docker, bind_failure
from dockhand.runtime.state import ContainerInfo, DockerHealth, HealthcheckSpec, ServiceDecl, Snapshot

PROBE_CHARS = 160
"""A probe's output is shown up to this many characters (one line): enough for the error, not a page of JSON."""
_SIGNAL_MEANING = {
    signal.SIGKILL: "killed by SIGKILL, not out of memory — `docker kill`, `kill -9`, or a stop past its timeout",
    signal.SIGTERM: "stopped by SIGTERM (`docker stop` or `compose stop`/`down`)",
    signal.SIGINT: "interrupted by SIGINT (Ctrl-C)",
    signal.SIGSEGV: "crashed with a segmentation fault (SIGSEGV)",
    signal.SIGABRT: "aborted (SIGABRT): the program gave up, often an assertion or a fatal runtime error",
    signal.SIGHUP: "hung up (SIGHUP)",
    signal.SIGBUS: "crashed with a bus error (SIGBUS)",
    signal.SIGILL: "crashed on an illegal instruction (SIGILL): the image may be built for another CPU",
}


def explain_exit(code: int | None, oom_killed: bool = False) -> str:
    """What an exit code means: `137` OOM vs SIGKILL, `143` SIGTERM, `1` the application's own error, …"""
    if oom_killed:
        return "killed by the kernel: out of memory (OOM) — raise `mem_limit` or use less memory"
    if code is None:
        return "no exit code"
    if code == 0:
        return "finished successfully"
    if code == 1:
        return "the application failed (exit code 1) — its last log lines say why"
    if code == 125:
        return "Docker could not run the container (exit code 125)"
    if code == 126:
        return "the command cannot be executed (exit code 126): not executable, or a permission problem"
    if code == 127:
        return "the command was not found (exit code 127): check `command`/`entrypoint` and the image's PATH"
    if 128 < code <= 128 + 64:
        number = code - 128
        try:
            meaning = _SIGNAL_MEANING.get(signal.Signals(number)) or f"killed by signal {signal.Signals(number).name}"
        except ValueError:
            meaning = f"killed by signal {number}"
        return meaning
    return f"the application exited with code {code}"


def probe_command(test: Sequence[str]) -> str:
    """The healthcheck's command as a person would type it: `CMD-SHELL x` → `x`, `CMD a b` → `a b`."""
    if not test:
        return ""
    kind, *args = test
    if kind == "CMD-SHELL":
        return " ".join(args)
    if kind == "CMD":
        return " ".join(a if a and " " not in a else json.dumps(a) for a in args)
    return " ".join(test)


def _json_summary(value: object) -> str | None:
    """A JSON body as `status DOWN · db DOWN (Connection refused)` rather than braces and quotes."""
    if not isinstance(value, dict):
        return None
    parts: list[str] = []
    if isinstance(value.get("status"), str):
        parts.append(f"status {value['status']}")
    components = value.get("components") or value.get("details")
    if isinstance(components, dict):
        for name, part in components.items():
            if isinstance(part, dict) and isinstance(part.get("status"), str) and part["status"] != "UP":
                error = (part.get("details") or {}).get("error") if isinstance(part.get("details"), dict) else None
                parts.append(f"{name} {part['status']}" + (f" ({error})" if error else ""))
    for key in ("error", "message", "detail"):
        if isinstance(value.get(key), str):
            parts.append(value[key])
    if not parts:
        parts = [f"{k}: {v}" for k, v in list(value.items())[:4] if isinstance(v, (str, int, float, bool))]
    return " · ".join(parts) or None


def format_probe_output(output: str, limit: int = PROBE_CHARS) -> str:
    """A probe's output on one line, trimmed: JSON summarised, blank lines and repeated whitespace dropped."""
    text = output.strip()
    brace = text.find("{")
    if brace >= 0:  # a JSON body, alone or after a prefix such as `HTTP 503: `
        try:
            summary = _json_summary(json.loads(text[brace:]))
        except ValueError:
            summary = None
        if summary:
            text = text[:brace] + summary
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    text = " ⏎ ".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failed_streak(n: int) -> str:
    """`failed once`, `failed 3 times in a row`."""
    return "failed once" if n == 1 else f"failed {n} times in a row"


def failing_probe(health: DockerHealth, spec: HealthcheckSpec | None) -> str:
    """`probe `wget …` failed 4 times in a row (exit 1): wget: can't connect …` — the command, the streak, the output."""
    command = f"probe `{probe_command(spec.test)}`" if spec is not None and spec.test else "the probe"
    streak = f" {failed_streak(health.failing_streak)}" if health.failing_streak else " failed"
    code = f" (exit {health.last_exit_code})" if health.last_exit_code not in (None, 0) else ""
    output = format_probe_output(health.last_output) or "no output"
    return f"{command}{streak}{code}: {output}"


def start_period_left(container: ContainerInfo, now: float) -> float | None:
    """Seconds left of the healthcheck's `start_period` (None when there is none or it is over)."""
    spec = container.healthcheck
    if spec is None or not spec.start_period_s or container.started_at is None or not container.running:
        return None
    left = container.started_at + spec.start_period_s - now
    return left if left > 0 else None


def starting_text(container: ContainerInfo, now: float) -> str | None:
    """`starting: within its start_period (30 s, 12 s left); probes fail so far: …` while Docker says starting."""
    health = container.health
    if health is None or health.status != "starting":
        return None
    spec = container.healthcheck
    left = start_period_left(container, now)
    if left is not None and spec is not None:
        period = f"within its start_period ({spec.start_period_s:g} s, {left:.0f} s left)"
    else:
        period = "waiting for its first passing probe"
    failing = next((p for p in reversed(health.probes) if p.exit_code not in (None, 0)), None)
    tail = f"; probes fail so far: {format_probe_output(failing.output) or 'no output'}" if failing else ""
    return f"starting: {period}{tail}"


@dataclass(frozen=True)
class Drift:
    """Where a running container differs from what the file now says (keys only: values may be secrets)."""

    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    """Set in the file, not in the container."""
    removed: tuple[str, ...] = ()
    """In the container, no longer in the file (nor set by the image)."""
    image: tuple[str, str] | None = None
    """(file's image, container's image) when they differ."""

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed or self.image)


def normalize_image(name: str) -> str:
    """`busybox` and `docker.io/library/busybox:latest` name the same image."""
    name = name.removeprefix("docker.io/").removeprefix("library/")
    last = name.rsplit("/", 1)[-1]
    return name if "@" in name or ":" in last else name + ":latest"


def env_drift(
    file_env: Mapping[str, str | None], container_env: Sequence[str], image_keys: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(changed, added, removed) keys between the file's resolved environment and the container's `Config.Env`.

    A key the file leaves unset (`FOO:` with no value, None) is not compared; a key only the image sets is not
    the file's doing."""
    running = dict(e.partition("=")[::2] for e in container_env)
    changed = sorted(k for k, v in file_env.items() if v is not None and k in running and running[k] != v)
    added = sorted(k for k, v in file_env.items() if v is not None and k not in running)
    removed = sorted(k for k in running if k not in file_env and k not in image_keys)
    return tuple(changed), tuple(added), tuple(removed)


def drift(container: ContainerInfo, decl: ServiceDecl) -> Drift:
    """The Drift of one container against its service as the file resolves it."""
    changed, added, removed = env_drift(decl.environment, container.env, container.image_env_keys)
    if not container.image_env_keys:  # the image could not be read: an extra key may well be the image's own
        removed = ()
    image = None
    if decl.image and container.image and normalize_image(decl.image) != normalize_image(container.image):
        image = (decl.image, container.image)
    return Drift(changed, added, removed, image)


def drift_text(found: Drift) -> str:
    """`environment FOO changed, BAR added; image a → b`."""
    parts: list[str] = []
    for keys, what in ((found.changed, "changed"), (found.added, "added"), (found.removed, "removed")):
        if keys:
            shown = ", ".join(f"`{k}`" for k in keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
            parts.append(f"{shown} {what}")
    text = f"environment {', '.join(parts)}" if parts else ""
    if found.image:
        text += ("; " if text else "") + f"image `{found.image[1]}` → `{found.image[0]}`"
    return text


def port_clash(container: ContainerInfo, snapshot: Snapshot) -> str | None:
    """`host port 127.0.0.1:8080 is taken by python3 (pid 42: …)` when the container's start failed on a port."""
    failed = bind_failure(container.error)
    if failed is None or container.running:
        return None
    ip, port = failed
    where = f"{ip}:{port}" if ip and ip not in ("0.0.0.0", "::") else str(port)
    users = [
        c.name
        for c in snapshot.containers.values()
        if c.id != container.id and c.running and any(p.host_port == port for p in c.ports)
    ]
    if users:
        return f"host port {where} is published by container {', '.join(users)} — stop it or change `ports:`"
    if container.port_holders:
        return f"host port {where} is taken by {', '.join(container.port_holders)} — stop it or change `ports:`"
    owner = "another container" if allocated_by_docker(container.error) else "a process outside Docker"
    return f"host port {where} is taken by {owner} — free it (`ss -ltnp 'sport = :{port}'`) or change `ports:`"


_CONDITION_WORDS = {
    "service_healthy": "to be healthy",
    "service_started": "to be running",
    "service_completed_successfully": "to finish successfully",
}


def held_back_by(snapshot: Snapshot, project: str, decl: ServiceDecl, now: float) -> str | None:
    """`waits for `db` to be healthy (depends_on: service_healthy), but `db` is unhealthy: probe …` — the first
    dependency whose state keeps this service from starting."""
    for name in decl.depends_on:
        condition = decl.conditions.get(name, "service_started")
        deps = snapshot.service_containers(project, name)
        why = _blocking(deps, condition, now)
        if why is not None:
            return f"waits for `{name}` {_CONDITION_WORDS.get(condition, '')} (depends_on: {condition}), but {why}"
    return None


def _blocking(deps: Sequence[ContainerInfo], condition: str, now: float) -> str | None:
    if not deps:
        return "it is not running"
    dep = deps[0]
    label = f"`{dep.service}`"
    if condition == "service_completed_successfully":
        if dep.state == "exited" and dep.exit_code:
            return f"{label} exited with code {dep.exit_code}: {explain_exit(dep.exit_code, dep.oom_killed)}"
        return None
    if not dep.running:
        if dep.state == "exited":
            return f"{label} exited with code {dep.exit_code}: {explain_exit(dep.exit_code, dep.oom_killed)}"
        return f"{label} is {dep.state}"
    if condition == "service_healthy" and dep.health is not None:
        if dep.health.status == "unhealthy":
            return f"{label} is unhealthy: {failing_probe(dep.health, dep.healthcheck)}"
        if dep.health.status == "starting":
            return f"{label} is still {starting_text(dep, now) or 'starting'}"
    return None

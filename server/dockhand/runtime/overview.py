"""The dockhand/services answer: engine status and every known project with its services' live state, built from one
state snapshot and where the static model saw each service declared (pure: dictionary reads only)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dockhand.compose.document import Span
from dockhand.compose.model import ComposeProject
from dockhand.compose.uris import from_fs_path, to_fs_path
from dockhand.runtime import contexts
from dockhand.runtime.resources import ResourceBook
from dockhand.runtime.state import ContainerInfo, Snapshot
from dockhand.runtime.summary import summarize
from dockhand.runtime.why import format_probe_output, held_back_by, port_clash


def _iso(epoch: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else None


Declarations = Mapping[tuple[str, str], tuple[str, Span]]
"""(config file path, service) → (uri, range of the service's name) where the static model saw it declared."""


def declarations(projects: Iterable[ComposeProject]) -> Declarations:
    """Where each service of the given projects is declared (dictionary reads over the static model)."""
    found: dict[tuple[str, str], tuple[str, Span]] = {}
    for project in projects:
        for service in project.services.values():
            for decl in service.declarations:
                found.setdefault((to_fs_path(decl.uri) or decl.uri, service.name), (decl.uri, decl.name_span))
    return found


def services_payload(
    snapshot: Snapshot,
    now: float | None = None,
    where: Declarations | None = None,
    book: ResourceBook | None = None,
) -> dict[str, Any]:
    """The dockhand/services answer, built from one snapshot (and the static declarations, for `uri`/`range`, and
    the resource samples)."""
    now = time.time() if now is None else now
    engine = snapshot.engine
    engine_json: dict[str, Any] = {"state": engine.state, **contexts.describe_payload()}
    if engine.version:
        engine_json["version"] = engine.version
    if engine.error is not None:
        engine_json["error"] = {"message": engine.error.message, "remediation": engine.error.remediation}
    names = sorted(set(snapshot.projects) | {c.project for c in snapshot.containers.values() if c.project})
    projects: list[dict[str, Any]] = []
    for name in names:
        info = snapshot.projects.get(name)
        declared = [s.name for s in info.services] if info else []
        running = sorted({c.service for c in snapshot.project_containers(name)} - set(declared))
        files = info.config_files if info else ()
        services = []
        for service in [*declared, *running]:
            s = summarize(snapshot, name, service, now)
            c = s.primary
            decl = info.service(service) if info else None
            entry: dict[str, Any] = {
                "name": service,
                "state": s.state,
                "health": s.health,
                "restarts": sum(x.restart_count for x in s.containers),
                "image": c.image if c else "",
                "replicas": len(s.containers),
                "urls": [{"label": u.label, "url": u.url} for u in s.urls]
                + [{"label": label, "url": url} for label, url in s.links],
                "dependsOn": list(decl.depends_on) if decl else [],
            }
            spot = next((where[(f, service)] for f in files if (f, service) in where), None) if where else None
            if spot is not None:
                entry["uri"], entry["range"] = spot[0], _range_json(spot[1])
            if c is not None and c.exit_code is not None:
                entry["exitCode"] = c.exit_code
            if c is not None and c.started_at:
                entry["startedAt"] = _iso(c.started_at)
            errors = [a.last_error for a in s.actuator if a.last_error]
            if c is not None and c.health is not None and c.health.status == "unhealthy":
                errors.insert(0, format_probe_output(c.health.last_output))  # one line, JSON summarised
            if c is not None and c.state == "created":  # never started: say what holds it (the tree's tooltip)
                blocked = port_clash(c, snapshot) or (held_back_by(snapshot, name, decl, now) if decl else None)
                if blocked:
                    errors.insert(0, blocked)
            if errors:
                entry["lastError"] = errors[0]
            usage = resources_json(book, s.containers) if book is not None else None
            if usage is not None:
                entry["resources"] = usage
            services.append(entry)
        projects.append(
            {
                "name": name,
                "workingDir": info.working_dir if info else "",
                "configFiles": [from_fs_path(f) or f for f in (info.config_files if info else ())],
                "services": services,
            }
        )
    return {"engine": engine_json, "projects": projects}


def resources_json(book: ResourceBook, containers: Sequence[ContainerInfo]) -> dict[str, Any] | None:
    """The latest samples of a service's running replicas, summed (None before the first sample)."""
    latest = [u for c in containers if c.running and (u := book.latest(c.id)) is not None]
    if not latest:
        return None
    cpus = [u.cpu_percent for u in latest if u.cpu_percent is not None]
    return {
        "cpuPercent": round(sum(cpus), 2) if cpus else None,
        "memUsed": sum(u.mem_used for u in latest),
        "memLimit": sum(u.mem_limit for u in latest),
        "netRx": sum(u.net_rx for u in latest),
        "netTx": sum(u.net_tx for u in latest),
        "blkRead": sum(u.blk_read for u in latest),
        "blkWrite": sum(u.blk_write for u in latest),
    }


def _range_json(span: Span) -> dict[str, Any]:
    """A span as the JSON of an LSP Range (the client reads `range` of a service entry as one)."""
    return {
        "start": {"line": span.start_line, "character": span.start_char},
        "end": {"line": span.end_line, "character": span.end_char},
    }

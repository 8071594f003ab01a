"""`dockhand check --live`: the running stack's problems (exited, OOM, unhealthy, restart loops, orphans, declared
but not running, and — with Compose at hand — containers older than the file) from one look at a reachable Docker
Engine, judged by the editor's own `runtime.diagnose`."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable

import docker.errors

import docker
from dockhand.check.collect import uri_path
from dockhand.compose.document import Problem, Span
from dockhand.compose.model import ComposeProject
from dockhand.compose.nodes import ZERO_SPAN
from dockhand.runtime import contexts
from dockhand.runtime.diagnose import diagnose
from dockhand.runtime.engine import classify_error, docker_host, log_tail
from dockhand.runtime.inspect import PROJECT, container_from_inspect
from dockhand.runtime.state import ContainerInfo, EngineStatus, ProjectInfo, Snapshot, StateStore


@functools.cache
def engine_snapshot() -> Snapshot:
    """Every compose container of the engine, inspected once; raises DiagnosticError (with the fix) when the
    engine does not answer."""
    host = docker_host()
    try:
        client = contexts.engine_client(timeout=15)  # DOCKER_HOST, DOCKER_CONTEXT or the current context
        version = str(client.version().get("Version", ""))
        found: list[ContainerInfo] = []
        for summary in client.api.containers(all=True, filters={"label": PROJECT}):
            with contextlib.suppress(docker.errors.NotFound):  # removed between list and inspect
                attrs = client.api.inspect_container(summary["Id"])
                exited = (attrs.get("State") or {}).get("Status") in ("exited", "dead")
                logs = log_tail(client, summary["Id"]) if exited else None
                found.append(container_from_inspect(attrs, None, logs))
        client.close()
    except (docker.errors.DockerException, OSError) as exc:
        raise classify_error(exc, host) from exc
    store = StateStore()
    store.replace_all(found, EngineStatus("up", host, version, None, time.time()))
    return store.snapshot


def live_findings(
    project: ComposeProject, resolve: Callable[[ComposeProject, str], ProjectInfo | None] | None = None
) -> list[Problem]:
    """Runtime problems of the project's containers, on each service's name (project-wide ones on `services:`).
    `resolve(project, name)`: the project as Compose resolves it, for "older than this file" (None: not checked)."""
    snapshot = engine_snapshot()
    files = {str(uri_path(u)) for u in project.files}
    labelled = {c.project for c in snapshot.containers.values() if files & set(c.config_files) and not c.oneoff}
    name = project.name if project.name in labelled or not labelled else sorted(labelled)[0]
    info = resolve(project, name) if resolve is not None and name in labelled | {project.name} else None
    if info is not None:
        snapshot = dataclasses.replace(snapshot, projects={**snapshot.projects, name: info})
    out: list[Problem] = []
    for finding in diagnose(snapshot, name, list(project.services)):
        service = project.services.get(finding.service) if finding.service else None
        if service is not None:
            uri, span = service.definition.uri, service.definition.name_span
        else:
            uri, span = _services_key(project)
        severity = finding.severity if finding.severity in ("error", "warning", "info") else "info"
        out.append(Problem(finding.code, finding.message + ".", uri, span, severity))  # type: ignore[arg-type]
    return out


def _services_key(project: ComposeProject) -> tuple[str, Span]:
    for uri in project.files:
        doc = project.documents.get(uri)
        key = (
            doc.root.key_node("services")
            if doc is not None and doc.root is not None and doc.root.kind == "map"
            else None
        )
        if key is not None:
            return uri, key.span
    return (project.files[0] if project.files else ""), ZERO_SPAN

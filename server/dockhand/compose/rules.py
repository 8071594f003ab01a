"""Static diagnostics over a ComposeProject, each with a stable code and a message that says how to fix it.

Codes (stable): parse — yaml-syntax, yaml-unreadable, too-large, too-deep, duplicate-key, merge-not-mapping;
loader — not-a-mapping, missing-file, include-shape, include-depth, include-conflict, alias-bomb, extends-cycle,
unset-variable (warning), required-variable, bad-template; structure — unknown-key, wrong-type, bad-value;
references — undefined-service, undefined-network, undefined-volume, undefined-secret, undefined-config;
graph — dependency-cycle; runtime clashes — port-clash (a warning: Compose accepts the file, `up` fails), duplicate-container-name; health —
healthcheck-missing (warning); files — missing-path (a missing build context or Dockerfile is a warning: Compose
accepts the file and fails only at build time); service shape — no-image-or-build; service values
(service_rules.py) — platform-not-built, bad-volume-spec, bad-container-name; value formats (value_rules.py) —
bad-duration, bad-size, bad-port. `# dockhand: ignore[code]` comments
(suppress.py) hide findings on the next line.
`docker compose config` findings (truth.py) use code compose-config.
"""

from __future__ import annotations

from collections.abc import Iterator

from dockhand.compose.document import Problem
from dockhand.compose.graph import cycles, dependency_graph, has_cycle
from dockhand.compose.model import ComposeProject, PortBinding, Service
from dockhand.compose.service_rules import check_services
from dockhand.compose.structure import check_structure
from dockhand.compose.suppress import without_suppressed
from dockhand.compose.value_rules import check_values

_IMPLICIT_NETWORKS = {"default", "host", "none", "bridge"}


def check_project(project: ComposeProject) -> list[Problem]:
    """Every static finding for the project (parse, loader, structure, references, graph, clashes, paths)."""
    problems: list[Problem] = []
    for doc in project.documents.values():
        problems.extend(doc.problems)
        problems.extend(check_structure(doc))
    problems.extend(project.problems)
    problems.extend(_undefined_references(project))
    problems.extend(_dependency_cycles(project))
    problems.extend(_port_clashes(project))
    problems.extend(_duplicate_container_names(project))
    problems.extend(_healthcheck_conditions(project))
    problems.extend(_missing_paths(project))
    problems.extend(_image_or_build(project))
    problems.extend(check_services(project))
    problems.extend(check_values(project))
    return without_suppressed(_dedupe(problems), project.documents)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, tuple[int, ...], str]] = set()
    out = []
    for p in problems:
        key = (p.code, p.uri, tuple(p.span), p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _undefined_references(project: ComposeProject) -> Iterator[Problem]:
    for ref in project.references:
        if ref.kind == "service":
            if ref.name in project.services:
                continue
            names = list(project.services)
            where = "services"
        elif ref.kind == "network" and ref.name in _IMPLICIT_NETWORKS:
            continue
        else:
            table = project.resources.get(ref.kind, {})
            if ref.name in table:
                continue
            names = list(table)
            where = f"{ref.kind}s"
        hint = _suggest(ref.name, names)
        define = f"define it under top-level `{where}:`" if ref.kind != "service" else "define a service with that name"
        yield Problem(
            f"undefined-{ref.kind}",
            f"`{ref.context}` refers to {ref.kind} `{ref.name}`, which is not defined.{hint} Fix the name or {define}.",
            ref.uri,
            ref.span,
        )


def _suggest(name: str, names: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f" Did you mean `{close[0]}`?" if close else ""


def _dependency_cycles(project: ComposeProject) -> Iterator[Problem]:
    if not has_cycle(project):
        return  # the common case, answered without building (and importing) a networkx graph
    graph = dependency_graph(project)
    for cycle in cycles(graph):
        text = " → ".join([*cycle, cycle[0]])
        members = set(cycle)
        for i, name in enumerate(cycle):
            target = cycle[(i + 1) % len(cycle)]
            for ref in project.references:
                if ref.service == name and ref.name == target and ref.kind == "service" and ref.context != "extends":
                    yield Problem(
                        "dependency-cycle",
                        f"Dependency cycle: {text}. Compose cannot start these services; remove one of these "
                        "dependencies.",
                        ref.uri,
                        ref.span,
                        related=tuple(
                            (r.uri, r.span, f"{r.service} → {r.name}")
                            for r in project.references
                            if r.service in members and r.name in members and r.kind == "service" and r is not ref
                        ),
                    )


def _may_run_together(a: Service, b: Service) -> bool:
    pa, pb = set(a.config.profiles), set(b.config.profiles)
    return not (pa and pb and not (pa & pb))


def _ips_overlap(a: str, b: str) -> bool:
    wildcard = {"", "0.0.0.0", "::", "[::]"}
    return a in wildcard or b in wildcard or a == b


def _port_clashes(project: ComposeProject) -> Iterator[Problem]:
    by_port: dict[tuple[int, str], list[tuple[Service, PortBinding]]] = {}
    for service in project.services.values():
        for binding in service.config.ports:
            for port in binding.host_ports()[:1024]:
                by_port.setdefault((port, binding.protocol), []).append((service, binding))
    reported: set[tuple[int, int]] = set()
    for (port, protocol), uses in by_port.items():
        for i, (svc_a, a) in enumerate(uses):
            for svc_b, b in uses[i + 1 :]:
                if a is b or not _ips_overlap(a.host_ip, b.host_ip) or not _may_run_together(svc_a, svc_b):
                    continue
                pair = (id(a), id(b))
                if pair in reported:
                    continue
                reported.add(pair)
                for (svc, mine), (other_svc, other) in (((svc_a, a), (svc_b, b)), ((svc_b, b), (svc_a, a))):
                    who = "it" if other_svc is svc else f"service `{other_svc.name}`"
                    yield Problem(
                        "port-clash",
                        f"Host port {port}/{protocol} of `{svc.name}` is also published by {who}; the second container "
                        "will fail to start. Use a different host port.",
                        mine.uri,
                        mine.span,
                        "warning",  # Compose accepts the file; `up` fails on the second container
                        related=((other.uri, other.span, f"also published by {other_svc.name}"),),
                    )


def _duplicate_container_names(project: ComposeProject) -> Iterator[Problem]:
    owners: dict[str, list[Service]] = {}
    for service in project.services.values():
        if service.config.container_name:
            owners.setdefault(service.config.container_name, []).append(service)
    for name, services in owners.items():
        if len(services) < 2:
            continue
        for service in services:
            others = ", ".join(f"`{s.name}`" for s in services if s is not service)
            decl = service.declarations[-1]
            node = next(
                (d.node.get("container_name") for d in reversed(service.declarations) if d.node.get("container_name")),
                None,
            )
            span = node.span if node is not None else decl.name_span
            uri = next((d.uri for d in reversed(service.declarations) if d.node.get("container_name")), decl.uri)
            yield Problem(
                "duplicate-container-name",
                f"container_name `{name}` is also used by {others}; container names must be unique. Rename one.",
                uri,
                span,
            )


def _healthcheck_conditions(project: ComposeProject) -> Iterator[Problem]:
    for service in project.services.values():
        for dep in service.config.depends_on:
            target = project.services.get(dep.name)
            if dep.condition == "service_healthy" and target is not None and not target.config.has_healthcheck:
                yield Problem(
                    "healthcheck-missing",
                    f"`{service.name}` waits for `{dep.name}` to be healthy, but `{dep.name}` has no healthcheck here "
                    f"(unless its image defines one, `up` fails). Add a `healthcheck:` to `{dep.name}` or use "
                    "`condition: service_started`.",
                    dep.uri,
                    dep.span,
                    "warning",
                )


def _missing_paths(project: ComposeProject) -> Iterator[Problem]:
    what = {"build-context": "Build context", "dockerfile": "Dockerfile", "env-file": "env_file"}
    for ref in project.paths:
        if ref.role not in what or ref.exists is not False or (ref.role == "env-file" and not ref.required):
            continue
        yield Problem(
            "missing-path",
            f"{what[ref.role]} `{ref.written}` does not exist ({ref.path}). Create it or fix the path.",
            ref.uri,
            ref.span,
            "error" if ref.role == "env-file" else "warning",
        )


def _image_or_build(project: ComposeProject) -> Iterator[Problem]:
    for service in project.services.values():
        data = service.config.data
        if data.get("image") or data.get("build") or data.get("provider") or "extends" in data:
            continue
        if any(d.node.kind != "map" for d in service.declarations):
            continue  # the structure rule already says it must be a mapping
        yield Problem(
            "no-image-or-build",
            f"Service `{service.name}` has neither `image:` nor `build:`; Compose cannot create it. Add one of them.",
            service.definition.uri,
            service.definition.name_span,
        )

"""The service dependency graph (networkx): cycles named in full, start order, and who is affected by a change.

Contract: `dependency_graph(project)` → nx.DiGraph with an edge A → B when A needs B (depends_on, links,
volumes_from, network_mode/pid/ipc `service:B`, extends is not a runtime edge). Edge data: `kind` (the key),
`condition` (depends_on only). `cycles(graph)` → list of cycles as name lists (first name not repeated),
`dependents(graph, name)` → every service that (transitively) needs `name`, `dependencies(graph, name)` → what
`name` needs, `start_order(graph)` → a valid start order (dependencies first) or None when there is a cycle.
`has_cycle(project)` answers without networkx: the diagnostics of a file with no cycle never import it.

networkx is imported inside the functions that build or walk a graph: importing it is ≈ 0.1 s of CPU, paid before a
first diagnostics or a `dockhand check` that computes no graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockhand.compose.model import ComposeProject

if TYPE_CHECKING:
    import networkx as nx

_RUNTIME_EDGES = {"depends_on", "links", "volumes_from", "network_mode", "pid", "ipc"}


def _runtime_references(project: ComposeProject) -> list[tuple[str, str, str]]:
    """(service, needed service, key) for every runtime edge other than depends_on."""
    found = []
    for ref in project.references:
        runtime = ref.kind == "service" and ref.context in _RUNTIME_EDGES and ref.context != "depends_on"
        if runtime and ref.service:
            found.append((ref.service, ref.name, ref.context))
    return found


def dependency_graph(project: ComposeProject) -> nx.DiGraph:
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(project.services)
    for service in project.services.values():
        for dep in service.config.depends_on:
            graph.add_edge(service.name, dep.name, kind="depends_on", condition=dep.condition)
    for source, target, key in _runtime_references(project):
        if not graph.has_edge(source, target):
            graph.add_edge(source, target, kind=key, condition=None)
    return graph


def has_cycle(project: ComposeProject) -> bool:
    """Whether `dependency_graph(project)` has a cycle (Kahn's algorithm on the same edges, in plain Python)."""
    needs: dict[str, set[str]] = {name: set() for name in project.services}
    for service in project.services.values():
        for dep in service.config.depends_on:
            needs.setdefault(service.name, set()).add(dep.name)
            needs.setdefault(dep.name, set())
    for source, target, _key in _runtime_references(project):
        needs.setdefault(source, set()).add(target)
        needs.setdefault(target, set())
    needed_by: dict[str, list[str]] = {name: [] for name in needs}
    for source, targets in needs.items():
        for target in targets:
            needed_by[target].append(source)
    waiting = {name: len(targets) for name, targets in needs.items()}
    ready = [name for name, count in waiting.items() if count == 0]
    settled = 0
    while ready:
        name = ready.pop()
        settled += 1
        for source in needed_by[name]:
            waiting[source] -= 1
            if waiting[source] == 0:
                ready.append(source)
    return settled < len(needs)


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One cycle per strongly connected component (simple_cycles can be exponential; this stays linear)."""
    import networkx as nx

    found: list[list[str]] = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component)
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        sub = graph.subgraph(members)
        edges = nx.find_cycle(sub, source=members[0])
        found.append([u for u, _v in edges])
    return sorted(found)


def dependents(graph: nx.DiGraph, name: str) -> set[str]:
    import networkx as nx

    return set(nx.ancestors(graph, name)) if name in graph else set()


def dependencies(graph: nx.DiGraph, name: str) -> set[str]:
    import networkx as nx

    return set(nx.descendants(graph, name)) if name in graph else set()


def start_order(graph: nx.DiGraph) -> list[str] | None:
    import networkx as nx

    try:
        return list(reversed(list(nx.topological_sort(graph))))
    except nx.NetworkXUnfeasible:
        return None

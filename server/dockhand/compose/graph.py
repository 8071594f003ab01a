"""The service dependency graph (networkx): cycles named in full, start order, and who is affected by a change.

Contract: `dependency_graph(project)` → nx.DiGraph with an edge A → B when A needs B (depends_on, links,
volumes_from, network_mode/pid/ipc `service:B`, extends is not a runtime edge). Edge data: `kind` (the key),
`condition` (depends_on only). `cycles(graph)` → list of cycles as name lists (first name not repeated),
`dependents(graph, name)` → every service that (transitively) needs `name`, `dependencies(graph, name)` → what
`name` needs, `start_order(graph)` → a valid start order (dependencies first) or None when there is a cycle.
"""

from __future__ import annotations

import networkx as nx

from dockhand.compose.model import ComposeProject

_RUNTIME_EDGES = {"depends_on", "links", "volumes_from", "network_mode", "pid", "ipc"}


def dependency_graph(project: ComposeProject) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(project.services)
    for service in project.services.values():
        for dep in service.config.depends_on:
            graph.add_edge(service.name, dep.name, kind="depends_on", condition=dep.condition)
    for ref in project.references:
        runtime = ref.kind == "service" and ref.context in _RUNTIME_EDGES and ref.context != "depends_on"
        if runtime and ref.service and not graph.has_edge(ref.service, ref.name):
            graph.add_edge(ref.service, ref.name, kind=ref.context, condition=None)
    return graph


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One cycle per strongly connected component (simple_cycles can be exponential; this stays linear)."""
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
    return set(nx.ancestors(graph, name)) if name in graph else set()


def dependencies(graph: nx.DiGraph, name: str) -> set[str]:
    return set(nx.descendants(graph, name)) if name in graph else set()


def start_order(graph: nx.DiGraph) -> list[str] | None:
    try:
        return list(reversed(list(nx.topological_sort(graph))))
    except nx.NetworkXUnfeasible:
        return None

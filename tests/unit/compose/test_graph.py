"""The dependency graph: whole cycles, start order, transitive dependents."""

from __future__ import annotations

from pathlib import Path

from dockhand.compose.graph import cycles, dependencies, dependency_graph, dependents, start_order
from dockhand.compose.loader import load_project_from_disk


def project_of(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "compose.yaml").write_text(text)
    return load_project_from_disk(tmp_path / "compose.yaml", environ={})


def test_edges_from_every_kind_of_dependency(tmp_path: Path) -> None:
    graph = dependency_graph(
        project_of(
            tmp_path,
            "services:\n  web: {image: x, depends_on: {api: {condition: service_healthy}}}\n"
            "  api: {image: x, links: [db], network_mode: 'service:vpn'}\n  db: {image: x, volumes_from: [vpn]}\n"
            "  vpn: {image: x}\n",
        )
    )
    assert graph.edges["web", "api"] == {"kind": "depends_on", "condition": "service_healthy"}
    assert {("api", "db"), ("api", "vpn"), ("db", "vpn")} <= set(graph.edges)
    assert dependents(graph, "vpn") == {"web", "api", "db"}
    assert dependencies(graph, "web") == {"api", "db", "vpn"}
    order = start_order(graph)
    assert order is not None and order.index("vpn") < order.index("db") < order.index("api") < order.index("web")
    assert cycles(graph) == []


def test_cycle_is_named_in_full(tmp_path: Path) -> None:
    graph = dependency_graph(
        project_of(
            tmp_path,
            "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n"
            "  c: {image: x, depends_on: [a]}\n  d: {image: x, depends_on: [d]}\n",
        )
    )
    found = cycles(graph)
    assert sorted(sorted(c) for c in found) == [["a", "b", "c"], ["d"]]
    assert start_order(graph) is None

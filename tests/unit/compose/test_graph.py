"""The dependency graph: whole cycles, start order, transitive dependents."""

from __future__ import annotations

from pathlib import Path

from dockhand.compose.graph import cycles, dependencies, dependency_graph, dependents, has_cycle, start_order
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


def test_has_cycle_agrees_with_the_graph_without_networkx(tmp_path: Path) -> None:
    """The diagnostics' pre-check (plain Python) answers as networkx does, for every kind of edge and a missing one."""
    cases = {
        "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [missing]}\n": False,
        "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, links: [a]}\n": True,
        "services:\n  a: {image: x, network_mode: 'service:b'}\n  b: {image: x, volumes_from: [a]}\n": True,
        "services:\n  d: {image: x, depends_on: [d]}\n  e: {image: x}\n": True,
        "services:\n  a: {image: x, depends_on: [b, c]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x}\n": False,
    }
    for text, expected in cases.items():
        project = project_of(tmp_path, text)
        assert has_cycle(project) is expected, text
        assert bool(cycles(dependency_graph(project))) is expected, text

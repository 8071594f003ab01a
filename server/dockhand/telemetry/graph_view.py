"""The dependency-graph view's model (pure): services with their live state, declared and observed edges, blast radius.

Contract: `graph_model(services, declared, calls, traced, window_s)` → the `dockhand/graph` payload (see
lsp/protocol.py). `services` are dockhand/services entries of one project (name, state, health, uri, range…),
`declared` the project's runtime dependencies (compose/graph.py's edges), `calls` one row per observed call
(caller, callee, duration, error) over the last `window_s` seconds, `traced` the services that sent spans in that
window. An edge is `confirmed` (declared and called), `undeclared` (called between two compose services without a
depends_on), `uncalled` (declared, both ends traced, never called: perhaps a stale depends_on), `declared` (no
traces to judge by) or `external` (a call to or from something that is not a compose service).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockhand.compose.graph import dependents
from dockhand.telemetry.graph import compose_name
from dockhand.telemetry.graph_export import edge_label, node_tone

if TYPE_CHECKING:
    import networkx as nx

CallRow = tuple[str, str, int, bool]
"""(caller, callee, duration_ns, error): one call as the store reports it (a span whose parent is another service's)."""


@dataclass(frozen=True)
class DeclaredEdge:
    """`service` needs `dependency` (`kind`: depends_on, links, volumes_from, network_mode…; `condition` for
    depends_on: service_started, service_healthy, service_completed_successfully)."""

    service: str
    dependency: str
    kind: str = "depends_on"
    condition: str | None = None
    """None when unknown (only `docker compose config`'s names were at hand) or for kinds without one."""


@dataclass
class _Observed:
    calls: int = 0
    errors: int = 0
    durations_ns: list[int] = field(default_factory=list)

    def p95_ms(self) -> float | None:
        """Nearest-rank p95 (exact; sorting a window's durations is cheaper here than filling a histogram)."""
        if not self.durations_ns:
            return None
        ordered = sorted(self.durations_ns)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] / 1e6


def _aggregate(calls: Iterable[CallRow], services: Sequence[str]) -> dict[tuple[str, str], _Observed]:
    """Calls folded per (caller, callee), with OTel service names mapped onto compose names where they match."""
    out: dict[tuple[str, str], _Observed] = {}
    for caller, callee, duration_ns, error in calls:
        key = (compose_name(caller, services) or caller, compose_name(callee, services) or callee)
        seen = out.setdefault(key, _Observed())
        seen.calls += 1
        seen.errors += int(bool(error))
        seen.durations_ns.append(duration_ns)
    return out


def _verdict(declared: bool, observed: bool, both_compose: bool, both_traced: bool) -> str:
    if not both_compose:
        return "external"
    if declared and observed:
        return "confirmed"
    if observed:
        return "undeclared"
    return "uncalled" if both_traced else "declared"


def graph_model(
    services: Sequence[Mapping[str, Any]],
    declared: Iterable[DeclaredEdge],
    calls: Iterable[CallRow],
    traced: Iterable[str],
    window_s: float,
) -> dict[str, Any]:
    """Nodes and edges of one project's graph (the dockhand/graph payload without `project`/`projects`)."""
    names = [str(s["name"]) for s in services]
    traced_names = {compose_name(t, names) or t for t in traced}
    # A service of an inactive profile is in the file, not in the project Compose runs: its edges are left out.
    declared_edges = {
        (d.service, d.dependency): d for d in declared if not names or {d.service, d.dependency} <= set(names)
    }
    observed = _aggregate(calls, names)
    import networkx as nx  # here, not at the top: the server's start never computes this view

    needs = nx.DiGraph()
    needs.add_nodes_from(names)
    needs.add_edges_from(declared_edges)
    edges = []
    for caller, callee in sorted(set(declared_edges) | set(observed)):
        decl, seen = declared_edges.get((caller, callee)), observed.get((caller, callee))
        both_compose = caller in names and callee in names
        edge: dict[str, Any] = {
            "from": caller,
            "to": callee,
            "declared": decl is not None,
            "observed": seen is not None,
            "verdict": _verdict(decl is not None, seen is not None, both_compose, {caller, callee} <= traced_names),
            "calls": seen.calls if seen else 0,
            "errors": seen.errors if seen else 0,
            "callsPerS": round(seen.calls / window_s, 3) if seen and window_s > 0 else 0.0,
            "errorRate": round(seen.errors / seen.calls, 4) if seen else 0.0,
        }
        if decl is not None:
            edge["kind"] = decl.kind
            if decl.condition:
                edge["condition"] = decl.condition
        if seen is not None:
            p95 = seen.p95_ms()
            edge["p95Ms"] = None if p95 is None else round(p95, 3)
        edge["label"] = edge_label(edge)
        edges.append(edge)
    nodes = [_node(s, needs, traced_names) for s in services]
    outsiders = ({e["from"] for e in edges} | {e["to"] for e in edges}) - set(names)
    for name in sorted(outsiders):  # a span's service.name that is no compose service (a browser, a cron job)
        nodes.append(
            {
                "name": name,
                "state": "external",
                "health": "external",
                "external": True,
                "traced": True,
                "dependents": [],
            }
        )
    for node in nodes:
        node["tone"] = node_tone(node)
    return {"windowS": window_s, "nodes": nodes, "edges": edges}


def _node(service: Mapping[str, Any], needs: nx.DiGraph, traced: set[str]) -> dict[str, Any]:
    name = str(service["name"])
    node: dict[str, Any] = {
        "name": name,
        "state": service.get("state", "unknown"),
        "health": service.get("health", "unknown"),
        "external": False,
        "traced": name in traced,
        "dependents": sorted(dependents(needs, name)),
    }
    for key in ("exitCode", "uri", "range", "lastError"):
        if key in service:
            node[key] = service[key]
    return node

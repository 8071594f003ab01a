"""The call graph: who calls whom as traces show it, merged with what compose.yaml declares in depends_on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Call = tuple[str, str, int, int]
"""(caller, callee, calls, errors) as the store reports observed calls."""


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def compose_name(observed: str, services: Iterable[str]) -> str | None:
    """The compose service an OTel `service.name` refers to (exact, else ignoring case and `_`/`-`)."""
    names = list(services)
    if observed in names:
        return observed
    wanted = _normal(observed)
    return next((n for n in names if _normal(n) == wanted), None)


@dataclass(frozen=True)
class Edge:
    """One arrow of the graph."""

    caller: str
    callee: str
    declared: bool
    observed: bool
    calls: int
    errors: int

    def to_payload(self) -> dict[str, Any]:
        """The dockhand/graph edge shape."""
        return {
            "from": self.caller,
            "to": self.callee,
            "declared": self.declared,
            "observed": self.observed,
            "calls": self.calls,
            "errors": self.errors,
        }


def merge(observed: Iterable[Call], declared: Mapping[str, Iterable[str]]) -> tuple[list[str], list[Edge]]:
    """Nodes and edges: each declared depends_on and each observed call, joined where they are the same pair.

    Observed names are mapped onto compose service names where they match, so `orders_api` in traces meets
    `orders-api` in compose.yaml; services that only appear in traces stay as their own nodes.
    """
    services = list(declared)
    edges: dict[tuple[str, str], Edge] = {}
    for service, deps in declared.items():
        for dep in deps:
            edges[(service, dep)] = Edge(service, dep, True, False, 0, 0)
    for caller, callee, calls, errors in observed:
        a = compose_name(caller, services) or caller
        b = compose_name(callee, services) or callee
        known = edges.get((a, b))
        edges[(a, b)] = Edge(
            a,
            b,
            known.declared if known else False,
            True,
            (known.calls if known else 0) + calls,
            (known.errors if known else 0) + errors,
        )
    nodes = sorted({*services, *(e.caller for e in edges.values()), *(e.callee for e in edges.values())})
    return nodes, sorted(edges.values(), key=lambda e: (e.caller, e.callee))


def undeclared_calls(observed: Iterable[Call], declared: Mapping[str, Iterable[str]]) -> list[Edge]:
    """Observed calls between two compose services where the caller does not declare the callee."""
    _, edges = merge(observed, declared)
    return [e for e in edges if e.observed and not e.declared and e.caller in declared and e.callee in declared]


def undeclared_message(edge: Edge) -> str:
    """The information diagnostic's text for one undeclared call."""
    return (
        f"`{edge.caller}` calls `{edge.callee}` ({edge.calls} call(s) seen in traces) but does not declare it in "
        f"depends_on: Compose may start `{edge.caller}` before `{edge.callee}` is up."
    )

"""The call graph: observed calls merged with depends_on, and the undeclared-call finding."""

from __future__ import annotations

from dockhand.telemetry.graph import merge, undeclared_calls, undeclared_message

DECLARED = {"gateway": ["orders"], "orders": ["db"], "db": [], "payments": []}


def test_observed_and_declared_edges_join_with_name_normalisation() -> None:
    observed = [("gateway", "orders", 10, 1), ("Orders", "payments", 4, 0), ("gateway", "external-api", 2, 2)]
    nodes, edges = merge(observed, DECLARED)
    assert nodes == ["db", "external-api", "gateway", "orders", "payments"]
    by_pair = {(e.caller, e.callee): e for e in edges}
    assert by_pair[("gateway", "orders")].declared and by_pair[("gateway", "orders")].observed
    assert by_pair[("gateway", "orders")].calls == 10 and by_pair[("gateway", "orders")].errors == 1
    assert by_pair[("orders", "db")].declared and not by_pair[("orders", "db")].observed
    assert not by_pair[("orders", "payments")].declared and by_pair[("orders", "payments")].observed


def test_only_calls_between_compose_services_that_are_not_declared_are_reported() -> None:
    observed = [("gateway", "orders", 10, 0), ("orders", "payments", 4, 0), ("gateway", "external-api", 2, 0)]
    (edge,) = undeclared_calls(observed, DECLARED)
    assert (edge.caller, edge.callee, edge.calls) == ("orders", "payments", 4)
    assert "does not declare it in depends_on" in undeclared_message(edge)

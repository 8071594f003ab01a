"""The dependency-graph view's model and its Mermaid/DOT exports, over a small shop with known calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockhand.compose.graph import dependency_graph
from dockhand.compose.loader import load_project_from_disk
from dockhand.telemetry.graph_export import edge_label, export, node_tone, to_dot, to_mermaid
from dockhand.telemetry.graph_view import DeclaredEdge, graph_model

MS = 1_000_000
SERVICES: list[dict[str, Any]] = [
    {"name": "gateway", "state": "running", "health": "healthy", "uri": "file:///shop/compose.yaml"},
    {"name": "orders", "state": "running", "health": "unhealthy"},
    {"name": "db", "state": "exited", "health": "exited", "exitCode": 137},
    {"name": "mailer", "state": "running", "health": "running"},
    {"name": "cron", "state": "not running", "health": "not running"},
]
DECLARED = [
    DeclaredEdge("gateway", "orders", "depends_on", "service_healthy"),
    DeclaredEdge("orders", "db", "depends_on", "service_started"),
    DeclaredEdge("gateway", "mailer", "depends_on", "service_started"),
    DeclaredEdge("cron", "db", "links", None),
]
# 100 calls gateway → orders (2 errors, 1..100 ms), orders → mailer without a depends_on, a browser → gateway.
CALLS = [("gateway", "orders", i * MS, i <= 2) for i in range(1, 101)]
CALLS += [("Orders", "mailer", 3 * MS, False)] * 10 + [("browser", "gateway", 9 * MS, False)] * 5
TRACED = {"gateway", "orders", "mailer", "browser"}


def model() -> dict[str, Any]:
    return graph_model(SERVICES, DECLARED, CALLS, TRACED, window_s=50.0)


def edges_by_pair(m: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["from"], e["to"]): e for e in m["edges"]}


def test_declared_and_observed_edges_carry_condition_rate_errors_and_p95() -> None:
    edge = edges_by_pair(model())[("gateway", "orders")]
    assert edge["declared"] and edge["observed"] and edge["verdict"] == "confirmed"
    assert edge["condition"] == "service_healthy" and edge["kind"] == "depends_on"
    assert edge["calls"] == 100 and edge["errors"] == 2 and edge["callsPerS"] == 2.0 and edge["errorRate"] == 0.02
    assert edge["p95Ms"] == pytest.approx(95.0, rel=0.011)


def test_edge_verdicts_flag_undeclared_calls_and_declared_edges_never_called() -> None:
    verdicts = {pair: e["verdict"] for pair, e in edges_by_pair(model()).items()}
    assert verdicts == {
        ("gateway", "orders"): "confirmed",
        ("orders", "mailer"): "undeclared",  # traces name it `Orders`: mapped onto the compose service
        ("gateway", "mailer"): "uncalled",  # both send spans, yet no call in the window
        ("orders", "db"): "declared",  # db sends no spans: nothing to judge by
        ("cron", "db"): "declared",
        ("browser", "gateway"): "external",
    }
    assert "condition" not in edges_by_pair(model())[("cron", "db")]  # links have no condition


def test_nodes_keep_live_state_and_name_their_blast_radius() -> None:
    nodes = {n["name"]: n for n in model()["nodes"]}
    assert list(nodes) == ["gateway", "orders", "db", "mailer", "cron", "browser"]
    assert nodes["db"]["dependents"] == ["cron", "gateway", "orders"]  # transitively: gateway needs orders needs db
    assert nodes["orders"]["dependents"] == ["gateway"] and nodes["gateway"]["dependents"] == []
    assert nodes["db"]["exitCode"] == 137 and nodes["gateway"]["uri"] == "file:///shop/compose.yaml"
    assert nodes["browser"]["external"] and not nodes["gateway"]["external"]
    assert nodes["mailer"]["traced"] and not nodes["db"]["traced"]


def test_the_static_model_gives_kinds_and_conditions(tmp_path: Path) -> None:
    text = """\
services:
  web: {image: x, depends_on: {api: {condition: service_healthy}}, volumes_from: [data]}
  api: {image: x, depends_on: [db]}
  db: {image: x}
  data: {image: x}
"""
    (tmp_path / "compose.yaml").write_text(text)
    graph = dependency_graph(load_project_from_disk(tmp_path / "compose.yaml", {}))
    declared = [DeclaredEdge(a, b, d["kind"], d.get("condition")) for a, b, d in graph.edges(data=True)]
    services = [{"name": n, "state": "running", "health": "running"} for n in ("web", "api", "db", "data")]
    m = graph_model(services, declared, [], set(), 300.0)
    edges = edges_by_pair(m)
    assert edges[("web", "api")]["condition"] == "service_healthy"
    assert edges[("api", "db")]["condition"] == "service_started"
    assert edges[("web", "data")]["kind"] == "volumes_from"
    assert {n["name"]: n["dependents"] for n in m["nodes"]}["db"] == ["api", "web"]


def test_services_of_an_inactive_profile_are_neither_nodes_nor_in_the_blast_radius() -> None:
    declared = [*DECLARED, DeclaredEdge("loadgen", "gateway", "depends_on", "service_healthy")]
    m = graph_model(SERVICES, declared, [], set(), 300.0)
    assert "loadgen" not in {n["name"] for n in m["nodes"]} and ("loadgen", "gateway") not in edges_by_pair(m)
    assert {n["name"]: n["dependents"] for n in m["nodes"]}["orders"] == ["gateway"]


def test_node_tones_follow_state_and_health() -> None:
    tones = {n["name"]: node_tone(n) for n in model()["nodes"]}
    assert tones == {
        "gateway": "ok",
        "orders": "bad",
        "db": "bad",
        "mailer": "ok",
        "cron": "off",
        "browser": "external",
    }
    assert node_tone({"state": "running", "health": "starting"}) == "warn"
    assert node_tone({"state": "exited", "exitCode": 0}) == "off"


def test_edge_labels_read_like_the_view() -> None:
    edges = edges_by_pair(model())
    assert edge_label(edges[("gateway", "orders")]).startswith("healthy · 2/s · 2% err · p95 9")
    assert edge_label(edges[("orders", "mailer")]) == "0.2/s · p95 3 ms · not declared"
    assert edge_label(edges[("gateway", "mailer")]) == "started · never called"
    assert edge_label(edges[("cron", "db")]) == "links"
    assert edge_label({"observed": True, "callsPerS": 1, "p95Ms": 0.4231}) == "1/s · p95 0.42 ms"


def test_mermaid_export() -> None:
    text = to_mermaid({"project": "shop", **model()})
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  s_gateway["gateway<br/>healthy"]:::ok' in lines
    assert '  s_db["db<br/>exited"]:::bad' in lines
    assert '  s_gateway -->|"healthy · 2/s · 2% err · p95 95 ms"| s_orders' in lines
    assert '  s_orders -.->|"0.2/s · p95 3 ms · not declared"| s_mailer' in lines  # dashed: observed only
    undeclared = next(i for i, e in enumerate(model()["edges"]) if e["verdict"] == "undeclared")
    assert f"  linkStyle {undeclared} stroke:#c62828,color:#c62828" in lines
    assert text == export({"project": "shop", **model()}, "mermaid")


def test_dot_export_escapes_and_styles() -> None:
    m = {"project": "my shop", **model()}
    m["nodes"] = [*m["nodes"], {"name": 'odd"name', "state": "running", "health": "running"}]
    text = to_dot(m)
    assert text.startswith('digraph "my shop" {\n  rankdir=LR;')
    assert '  "db" [label="db\\nexited", color="#c62828"];' in text
    assert '  "odd\\"name" [label="odd\\"name\\nrunning", color="#2e7d32"];' in text
    assert '  "browser" [label="browser\\nexternal", color="#5c6bc0", style="rounded,dashed"];' in text
    assert '  "orders" -> "mailer" [label="0.2/s · p95 3 ms · not declared", style=dashed, color="#c62828"' in text
    assert text.rstrip().endswith("}")
    with pytest.raises(ValueError, match="mermaid, dot"):
        export(m, "png")


def test_the_payload_carries_tone_and_label_for_clients() -> None:
    m = model()
    assert {n["name"]: n["tone"] for n in m["nodes"]} == {n["name"]: node_tone(n) for n in m["nodes"]}
    assert all(e["label"] == edge_label(e) for e in m["edges"])

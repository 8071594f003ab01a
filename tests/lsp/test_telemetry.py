"""dockhand/traces, /trace, /latency, /traceLogs, /logTrace, /graph, /graphExport and telemetryChanged, end to end.

The real server runs as a subprocess with its own OTLP port and store folder; spans and logs arrive over real
HTTP at its receiver, exactly as a service's exporter would send them.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from typing import Any

import httpx
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from dockhand.lsp import protocol
from tests.lsp_client import answer_like_vscode, ask, plain
from tests.unit.telemetry.otlp_samples import call_chain, logs_protobuf, traces_json, traces_protobuf

COMPOSE = """\
services:
  gateway:
    image: dockhand/busybox:local
    depends_on: [db]
  orders:
    image: dockhand/busybox:local
  db:
    image: dockhand/busybox:local
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"]),
    params=["visual-studio-code", "neovim"],
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    answer_like_vscode(lsp_client)

    port = _free_port()
    lsp_client.otlp_port = port  # type: ignore[attr-defined]
    workspace = request.getfixturevalue("tmp_path") / "shop"
    workspace.mkdir()
    (workspace / "compose.yaml").write_text(COMPOSE)
    lsp_client.compose_file = workspace / "compose.yaml"  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            client_info=types.ClientInfo(name=request.param),
            root_uri=workspace.as_uri(),
            # Its own port and store: the machine's default receiver may be in use by another server.
            initialization_options={
                "trusted": True,
                "otlpHost": "127.0.0.1",
                "otlpPort": port,
                "telemetryDir": str(request.getfixturevalue("tmp_path") / "telemetry"),
            },
        )
    )
    yield
    await lsp_client.shutdown_session()


def post(client: LanguageClient, path: str, body: bytes, content_type: str) -> httpx.Response:
    url = f"http://127.0.0.1:{client.otlp_port}{path}"  # type: ignore[attr-defined]
    return httpx.post(url, content=body, headers={"Content-Type": content_type})


async def test_spans_sent_to_the_receiver_come_back_as_traces_latency_graph_and_logs(client: LanguageClient) -> None:
    await ask(client, protocol.TRACES, {})  # the receiver is up once the hub answers
    start = time.time_ns()
    sent = []
    for i in range(20):
        trace_id, request = call_chain(start + i * 1_000_000, error=i % 10 == 0)
        body, kind = (
            (traces_json(request), "application/json")
            if i % 2
            else (traces_protobuf(request), "application/x-protobuf")
        )
        assert post(client, "/v1/traces", body, kind).status_code == 200
        sent.append(trace_id)
    # Garbage gets a 4xx with a reason, and the receiver carries on.
    bad = post(client, "/v1/traces", b"{oops", "application/json")
    assert bad.status_code == 400 and "malformed" in bad.text
    log_line = f"[{sent[3]}-0123456789abcdef] order 3 loaded"
    assert (
        post(
            client,
            "/v1/logs",
            logs_protobuf("orders", [(start, log_line, sent[3], "0123456789abcdef")]),
            "application/x-protobuf",
        ).status_code
        == 200
    )

    changed = plain(await client.wait_for_notification(protocol.TELEMETRY_CHANGED))
    assert changed["spans"] > 0 and set(changed["services"]) <= {"gateway", "orders"}

    traces = (await ask(client, protocol.TRACES, {"limit": 100}))["traces"]
    assert sorted(t["traceId"] for t in traces) == sorted(sent)
    assert all(t["rootService"] == "gateway" and t["spanCount"] == 4 for t in traces)
    assert sum(t["error"] for t in traces) == 2
    only_errors = await ask(client, protocol.TRACES, {"service": "orders", "operation": "GET /orders", "limit": 5})
    assert len(only_errors["traces"]) == 5

    tree = await ask(client, protocol.TRACE, {"traceId": sent[0]})
    assert [s["name"] for s in tree["spans"]] == ["GET /api/orders", "GET", "GET /orders", "SELECT orders"]
    assert tree["spans"][2]["status"] == "error" and tree["spans"][2]["parentSpanId"] == tree["spans"][1]["spanId"]
    assert await ask(client, protocol.TRACE, {"traceId": "f" * 32}) is None

    rows = None
    for _ in range(50):  # the rollups follow the store once a second
        rows = (await ask(client, protocol.LATENCY, {"windowS": 600}))["rows"]
        if sum(r["count"] for r in rows) == 40:
            break
        await asyncio.sleep(0.2)
    assert rows is not None
    by_op = {(r["service"], r["operation"]): r for r in rows}
    assert set(by_op) == {("gateway", "GET /api/orders"), ("orders", "GET /orders")}
    orders = by_op[("orders", "GET /orders")]
    assert orders["count"] == 20 and orders["errorRate"] == 0.1 and orders["source"] == "spans"
    assert orders["p50Ms"] == pytest.approx(6.0, rel=0.011)

    graph = await ask(client, protocol.GRAPH, {})
    edge = next(e for e in graph["edges"] if (e["from"], e["to"]) == ("gateway", "orders"))
    assert not edge["declared"] and edge["observed"] and (edge["calls"], edge["errors"]) == (20, 2)
    assert edge["errorRate"] == 0.1 and edge["p95Ms"] == pytest.approx(6.0, rel=0.011)  # the callee's server spans

    lines = (await ask(client, protocol.TRACE_LOGS, {"traceId": sent[3]}))["lines"]
    assert [line["line"] for line in lines] == [log_line] and lines[0]["service"] == "orders"
    assert await ask(client, protocol.LOG_TRACE, {"container": "x", "line": log_line}) == {
        "traceId": sent[3],
        "spanId": "0123456789abcdef",
    }
    assert await ask(client, protocol.LOG_TRACE, {"container": "x", "line": "no trace here"}) == {}


async def test_a_call_not_declared_in_depends_on_is_an_information_diagnostic(client: LanguageClient) -> None:
    await ask(client, protocol.TRACES, {})
    compose_file = client.compose_file  # type: ignore[attr-defined]
    uri = compose_file.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "dockercompose", 1, compose_file.read_text()))
    )
    _, request = call_chain(time.time_ns())  # gateway calls orders, which gateway does not declare
    assert post(client, "/v1/traces", traces_json(request), "application/json").status_code == 200
    found: list[types.Diagnostic] = []
    for _ in range(240):  # Compose resolves the project, the graph refreshes, diagnostics are re-published
        found = [d for d in client.diagnostics.get(uri, []) if d.code == "undeclared-call"]
        if found:
            break
        await asyncio.sleep(0.25)
    assert len(found) == 1, client.diagnostics.get(uri)
    (diagnostic,) = found
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    assert diagnostic.range.start.line == 1  # on `gateway:`
    assert "`gateway` calls `orders`" in diagnostic.message
    # The service's hover card gains its recent latency (gateway's server span is 9 ms in every chain).
    hover_text = ""
    for _ in range(40):
        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=1, character=4))
        )
        hover_text = str(hover.contents.value) if hover is not None else ""  # type: ignore[union-attr]
        if "Latency" in hover_text:
            break
        await asyncio.sleep(0.25)
    assert "(last 5 min, 1 requests): p50 9.0 ms · p95 9.0 ms · errors 0.0%" in hover_text, hover_text


async def test_the_graph_names_conditions_verdicts_blast_radius_and_exports(client: LanguageClient) -> None:
    """Once Compose resolved the project: declared edges with their condition, the observed undeclared call
    flagged, who depends on each service, and the same graph as Mermaid and DOT."""
    await ask(client, protocol.TRACES, {})
    compose_file = client.compose_file  # type: ignore[attr-defined]
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(compose_file.as_uri(), "dockercompose", 1, compose_file.read_text())
        )
    )
    _, request = call_chain(time.time_ns())
    assert post(client, "/v1/traces", traces_json(request), "application/json").status_code == 200

    async def resolved_graph() -> dict[str, Any] | None:
        graph = await ask(client, protocol.GRAPH, {"windowS": 60})
        verdicts = {(e["from"], e["to"]): e["verdict"] for e in graph["edges"]}
        return graph if verdicts.get(("gateway", "orders")) == "undeclared" else None

    graph = None
    for _ in range(240):  # discovery resolves the project with `docker compose config`, spans reach the store
        graph = await resolved_graph()
        if graph:
            break
        await asyncio.sleep(0.25)
    assert graph is not None
    assert graph["project"] == "shop" and "shop" in graph["projects"] and graph["windowS"] == 60
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert set(nodes) == {"gateway", "orders", "db"}
    assert nodes["db"]["dependents"] == ["gateway"] and nodes["db"]["state"] == "not running"
    assert nodes["gateway"]["traced"] and not nodes["db"]["traced"]
    assert nodes["gateway"]["uri"] == compose_file.as_uri() and nodes["gateway"]["range"]["start"]["line"] == 1
    db_edge = next(e for e in graph["edges"] if (e["from"], e["to"]) == ("gateway", "db"))
    assert db_edge["declared"] and db_edge["condition"] == "service_started" and db_edge["verdict"] == "declared"

    mermaid = await ask(client, protocol.GRAPH_EXPORT, {"format": "mermaid", "windowS": 60})
    assert mermaid["format"] == "mermaid" and mermaid["project"] == "shop"
    assert '  s_gateway -->|"started"| s_db' in mermaid["text"].splitlines()
    dot = await ask(client, protocol.GRAPH_EXPORT, {"format": "dot"})
    assert dot["text"].startswith('digraph "shop" {') and '"gateway" -> "orders"' in dot["text"]
    refused = await ask(client, protocol.GRAPH_EXPORT, {"format": "png"})
    assert "mermaid, dot" in refused["error"]["remediation"]


async def test_a_new_otlp_port_applies_at_once(client: LanguageClient) -> None:
    """The remedy for a port another program holds is another port (the warning says so): changing the setting
    moves the receiver without a restart, and spans sent there come back as traces."""
    await ask(client, protocol.TRACES, {})  # the hub (and its receiver) is up once it answers
    old = client.otlp_port  # type: ignore[attr-defined]
    with socket.socket() as taken:  # another program on the next port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"dockhand": {"otlpHost": "127.0.0.1", "otlpPort": busy}})
        )
        for _ in range(100):
            if any(f"OTLP port {busy} is taken" in m.message for m in client.messages):
                break
            await asyncio.sleep(0.1)
        assert any(f"OTLP port {busy} is taken" in m.message for m in client.messages), client.messages

    free = _free_port()
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockhand": {"otlpHost": "127.0.0.1", "otlpPort": free}})
    )
    client.otlp_port = free  # type: ignore[attr-defined]
    trace_id, request = call_chain(time.time_ns())
    accepted = None
    for _ in range(100):
        try:
            accepted = post(client, "/v1/traces", traces_protobuf(request), "application/x-protobuf").status_code
            break
        except httpx.ConnectError:
            await asyncio.sleep(0.1)
    assert accepted == 200
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", old)) != 0  # the first port is closed
    for _ in range(50):
        traces = (await ask(client, protocol.TRACES, {"limit": 10}))["traces"]
        if [t["traceId"] for t in traces] == [trace_id]:
            break
        await asyncio.sleep(0.2)
    assert [t["traceId"] for t in traces] == [trace_id]

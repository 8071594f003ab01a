"""The opt-in /metrics endpoint of a real server: LSP latency per method, process figures, loopback only."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx
import psutil
import pytest
from lsprotocol import types
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.live_server import free_port, listening_addresses, running_server, server_process, wait_for_log
from tests.unit.telemetry.otlp_samples import new_span_id, new_trace_id, span_dict, traces_protobuf

OUR_FAMILIES = {
    "dockhand_lsp_seconds",
    "dockhand_docker_event_lag_seconds",
    "dockhand_docker_events",
    "dockhand_docker_event_backlog",
    "dockhand_poller_errors",
    "dockhand_store_items",
    "dockhand_otlp_requests",
    "dockhand_malloc_bytes",
}


async def scrape(port: int) -> dict[str, list[Sample]]:
    async with httpx.AsyncClient(timeout=5) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def lsp_count(families: dict[str, list[Sample]], method: str, kind: str, outcome: str = "ok") -> float:
    return sum(
        s.value
        for s in families.get("dockhand_lsp_seconds", [])
        if s.name == "dockhand_lsp_seconds_count" and s.labels == {"method": method, "kind": kind, "outcome": outcome}
    )


def host_addresses() -> list[str]:
    """IPv4 addresses of this machine other than loopback (eth0, docker0, …)."""
    return [
        a.address
        for addrs in psutil.net_if_addrs().values()
        for a in addrs
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]


async def test_metrics_count_each_lsp_message_by_method_and_outcome(tmp_path: Path) -> None:
    port = free_port()
    async with running_server({"metricsPort": port}) as lsp:
        assert await wait_for_log(lsp, f"metrics on http://127.0.0.1:{port}/metrics")
        uri = f"file://{tmp_path}/compose.yaml"
        lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="dockercompose", version=1, text="services: {}\n")
            )
        )
        lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"dockhand": {}}))
        with pytest.raises(Exception, match="no-such-command"):
            await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="no-such-command"))

        for _ in range(100):  # notifications have no answer: scrape until the last one shows (bounded)
            families = await scrape(port)
            if lsp_count(families, "workspace/didChangeConfiguration", "notification") >= 1:
                break
            await asyncio.sleep(0.05)
        assert lsp_count(families, "workspace/didChangeConfiguration", "notification") == 1
        assert set(families) >= OUR_FAMILIES
        assert lsp_count(families, "initialize", "request") == 1
        assert lsp_count(families, "initialized", "notification") == 1
        assert lsp_count(families, "textDocument/didOpen", "notification") == 1
        assert lsp_count(families, "workspace/executeCommand", "request", "error") == 1
        buckets = [
            s
            for s in families["dockhand_lsp_seconds"]
            if s.name == "dockhand_lsp_seconds_bucket" and s.labels.get("method") == "initialize"
        ]
        assert buckets and buckets[-1].labels["le"] == "+Inf" and buckets[-1].value == 1
        stores = {s.labels["store"]: s.value for s in families["dockhand_store_items"]}
        assert {"containers", "projects", "actuator_targets"} <= set(stores)
        assert all(value >= 0 for value in stores.values())
        rss = [s.value for s in families["process_resident_memory_bytes"]]
        assert rss and rss[0] > 1_000_000
        malloc = {s.labels["kind"]: s.value for s in families["dockhand_malloc_bytes"]}
        assert set(malloc) == {"in_use", "free", "mmapped"} and 0 < malloc["in_use"] < rss[0]  # glibc, as on Debian


async def test_metrics_listen_on_loopback_only() -> None:
    port = free_port()
    async with running_server({"metricsPort": port}) as lsp:
        assert await wait_for_log(lsp, "metrics on")
        listeners = listening_addresses(server_process(lsp))
        assert ("127.0.0.1", port) in listeners
        assert [ip for ip, p in listeners if p == port] == ["127.0.0.1"]
        for address in host_addresses():
            with socket.socket() as probe, pytest.raises(OSError):
                probe.settimeout(2)
                probe.connect((address, port))


async def test_metrics_are_off_unless_asked_for() -> None:
    async with running_server() as lsp:
        assert not await wait_for_log(lsp, "metrics on", within=1)
        for ip, port in listening_addresses(server_process(lsp)):
            try:
                async with httpx.AsyncClient(timeout=3) as http:
                    body = (await http.get(f"http://{ip}:{port}/metrics")).text
            except httpx.HTTPError:
                continue
            assert "dockhand_lsp_seconds" not in body, f"metrics served on {ip}:{port} although not enabled"


async def test_a_busy_metrics_port_is_a_warning_not_a_crash() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        async with running_server({"metricsPort": port}) as lsp:
            warning = await wait_for_log(lsp, "DOCKHAND_METRICS_PORT")
            assert warning and f"127.0.0.1:{port}" in warning
            with pytest.raises(Exception, match="no-such-command"):  # still answering requests
                await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="no-such-command"))


async def test_editing_leaves_no_handler_futures_behind(tmp_path: Path) -> None:
    """pygls keeps the future of each notification handled by its built-in generators (didChange…) forever;
    the server must forget them, or every keystroke costs memory for the rest of the session."""
    port = free_port()
    async with running_server({"metricsPort": port}) as lsp:
        assert await wait_for_log(lsp, "metrics on")
        uri = f"file://{tmp_path}/compose.yaml"
        text = "services:\n  web:\n    image: dockhand/busybox:local\n"
        lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "dockercompose", 1, text))
        )
        for version in range(2, 302):
            lsp.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [types.TextDocumentContentChangeWholeDocument(text + f"# edit {version}\n")],
                )
            )
        await lsp.text_document_hover_async(  # answered after every change before it was handled
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(1, 3))
        )
        families = await scrape(port)
        changes = lsp_count(families, "textDocument/didChange", "notification")
        tracked = [s.value for s in families["dockhand_lsp_tracked_futures"]]
        assert changes == 300
        assert tracked and tracked[0] < 10, f"{tracked[0]:.0f} futures kept after {changes:.0f} edits"


async def test_metrics_show_what_each_telemetry_buffer_holds(tmp_path: Path) -> None:
    """Every in-memory telemetry buffer is bounded and /metrics says how full it is, so a user whose server grows
    can see what holds the memory: spans stored, latency rollups, trace-log lines and traces, Actuator scrapes."""
    port, metrics_port = free_port(), free_port()
    options = {"otlpPort": port, "telemetryDir": str(tmp_path / "telemetry"), "metricsPort": metrics_port}
    async with running_server(options) as lsp:
        assert await wait_for_log(lsp, f"metrics on http://127.0.0.1:{metrics_port}/metrics")
        assert await wait_for_log(lsp, f"OTLP receiver listening on http://127.0.0.1:{port}")
        now = time.time_ns()
        spans = {
            "orders": [span_dict(new_trace_id(), new_span_id(), "GET /orders", now, 3_000_000) for _ in range(7)]
            + [span_dict(new_trace_id(), new_span_id(), "POST /orders", now, 5_000_000) for _ in range(3)],
            "billing": [span_dict(new_trace_id(), new_span_id(), "GET /invoices", now, 2_000_000)],
        }
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.post(
                f"http://127.0.0.1:{port}/v1/traces",
                content=traces_protobuf(spans),
                headers={"Content-Type": "application/x-protobuf"},
            )
        assert answer.status_code == 200
        stores: dict[str, float] = {}
        for _ in range(100):  # stored, then folded into the rollups by the next poll: bounded wait
            families = await scrape(metrics_port)
            stores = {s.labels["store"]: s.value for s in families["dockhand_store_items"]}
            if stores.get("latency_rollups") == 3:
                break
            await asyncio.sleep(0.1)
        assert stores.get("spans") == 11, stores
        assert stores.get("latency_rollups") == 3, stores  # (service, operation, minute) histograms
        assert stores.get("log_lines") == 0 and stores.get("log_traces") == 0, stores  # no containers followed
        assert stores.get("scrapes") == 0, stores

"""With DOCKHAND_TRACE_PROVIDER=zipkin the server copies the backend's traces into its store and serves them.

No Zipkin server can be installed here: a real local HTTP server answers Zipkin's v2 API with RECORDED responses
of the documented shapes (see tests/unit/telemetry/test_providers.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from dockhand.lsp import protocol
from tests.lsp_client import answer_like_vscode, ask
from tests.unit.telemetry.otlp_samples import call_chain
from tests.unit.telemetry.test_providers import Recorded, _zipkin

START = time.time_ns() - 10_000_000_000
LISTED_ID, LISTED = call_chain(START)
ON_DEMAND_ID, ON_DEMAND = call_chain(START, error=True)


def zipkin_trace(chain: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [_zipkin(span, service) for service, spans in chain.items() for span in spans]


@pytest.fixture(scope="module")
def zipkin() -> Iterator[Recorded]:
    backend = Recorded(
        {
            "/api/v2/traces": json.dumps([zipkin_trace(LISTED)]),
            f"/api/v2/trace/{ON_DEMAND_ID}": json.dumps(zipkin_trace(ON_DEMAND)),
        }
    )
    yield backend
    backend.close()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"]))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    backend: Recorded = request.getfixturevalue("zipkin")

    answer_like_vscode(lsp_client)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={
                "traceProvider": "zipkin",
                "traceUrl": backend.url,
                "telemetryDir": str(request.getfixturevalue("tmp_path")),
            },
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_backend_traces_are_listed_and_fetched_on_demand(client: LanguageClient, zipkin: Recorded) -> None:
    for _ in range(100):  # the provider poller copies recent traces on start
        traces = (await ask(client, protocol.TRACES, {}))["traces"]
        if traces:
            break
        await asyncio.sleep(0.1)
    assert [(t["traceId"], t["rootService"], t["spanCount"]) for t in traces] == [(LISTED_ID, "gateway", 4)]
    asked = [query for path, query in zipkin.requests if path == "/api/v2/traces"]
    assert asked and int(asked[0]["lookback"][0]) > 0
    # A trace the poller has not copied is fetched from the backend when asked for.
    tree = await ask(client, protocol.TRACE, {"traceId": ON_DEMAND_ID})
    assert [s["service"] for s in tree["spans"]] == ["gateway", "gateway", "orders", "orders"]
    assert tree["spans"][2]["status"] == "error"
    assert ("/api/v2/trace/" + ON_DEMAND_ID, {}) in zipkin.requests


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "dockhand"]))
async def receiver_client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    answer_like_vscode(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"otlpPort": 0, "telemetryDir": str(request.getfixturevalue("tmp_path"))},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_switching_to_a_backend_applies_at_once(receiver_client: LanguageClient, zipkin: Recorded) -> None:
    """Started on the embedded receiver; choosing Zipkin in the settings starts its poller without a restart."""
    assert (await ask(receiver_client, protocol.TRACES, {}))["traces"] == []
    receiver_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockhand": {"traceProvider": "zipkin", "traceUrl": zipkin.url}})
    )
    for _ in range(100):
        traces = (await ask(receiver_client, protocol.TRACES, {}))["traces"]
        if traces:
            break
        await asyncio.sleep(0.1)
    assert [t["traceId"] for t in traces] == [LISTED_ID]

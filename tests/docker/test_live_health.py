"""Health in the editor with the parcel-shop stack: Actuator flips, Docker healthchecks, exits — hover, lens, diagnostic.

The stack runs from a copy of examples/parcel-shop in a temp folder, so the document the editor opens is the only
file its containers name (the session-wide stack of other tests comes from the original file).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

import docker
from dockhand.runtime.compose_cli import ComposeCli
from tests.docker.conftest import EXAMPLES_DIR, ExamplesStack, eventually, http, running_examples_stack
from tests.docker.live_helpers import lenses, open_document, start_client, titles_at, until


@pytest.fixture(scope="module")
def shop(
    docker_client: docker.DockerClient, compose_cli: ComposeCli, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExamplesStack]:
    copy = tmp_path_factory.mktemp("shop") / "parcel-shop"
    shutil.copytree(EXAMPLES_DIR, copy)
    with running_examples_stack(docker_client, compose_cli, copy) as stack:
        yield stack


def line_of(path: Path, key: str) -> int:
    return next(
        i
        for i, line in enumerate(path.read_text().splitlines())
        if line == f"  {key}:" or line.startswith(f"  {key}:  #")
    )


async def hover_text(client: LanguageClient, uri: str, line: int) -> str:
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, 4))
    )
    if hover is None:
        return ""
    contents = hover.contents
    return contents.value if isinstance(contents, types.MarkupContent) else str(contents)


def diagnostic(client: LanguageClient, uri: str, line: int, text: str) -> types.Diagnostic | None:
    return next((d for d in client.diagnostics.get(uri, []) if d.range.start.line == line and text in d.message), None)


async def test_actuator_docker_health_and_exit_reach_hover_lens_and_diagnostics(shop: ExamplesStack) -> None:
    client = await start_client(shop.directory, env=shop.env, options={"healthIntervalS": 0.5})
    try:
        uri = open_document(client, shop.compose_file)
        tracking, parcels, notifier = (line_of(shop.compose_file, s) for s in ("tracking", "parcels", "notifier"))

        # tracking has no Docker healthcheck: its Actuator endpoint, found at its published port, is the health.
        card = await until(
            lambda: _has(hover_text(client, uri, tracking), "Actuator: **UP**"), "tracking's Actuator UP in the hover"
        )
        port = shop.urls["tracking"].rsplit(":", 1)[1]
        assert f"[:{port}](http://127.0.0.1:{port})" in card
        assert f"[Actuator](http://127.0.0.1:{port}/actuator)" in card

        status, _, _ = http("POST", f"{shop.urls['tracking']}/admin/chaos", {"health": {"*": "DOWN"}})
        assert status == 200
        card = await until(
            lambda: _has(hover_text(client, uri, tracking), "Actuator: **DOWN**"), "the hover to show DOWN"
        )
        assert "**DOWN** — " in card and "ping DOWN" in card  # the components, each with its status
        found = await until(lambda: diagnostic(client, uri, tracking, "Actuator health is DOWN"), "a DOWN diagnostic")
        assert "ping DOWN" in found.message
        assert titles_at(await lenses(client, uri), tracking)[0] == "✖ unhealthy"

        http("DELETE", f"{shop.urls['tracking']}/admin/chaos")
        await until(lambda: _has(hover_text(client, uri, tracking), "Actuator: **UP**"), "the hover back to UP")
        await until(lambda: not diagnostic(client, uri, tracking, "Actuator"), "the DOWN diagnostic to clear")

        # parcels has a Docker healthcheck: unhealthy comes with the probe's own output and the failing streak.
        http("POST", f"{shop.urls['parcels']}/admin/chaos", {"health": {"db": "DOWN"}})
        found = await until(lambda: diagnostic(client, uri, parcels, "is unhealthy"), "parcels unhealthy", timeout=40)
        # The probe's command as configured, how often it failed, and its output summarised (not raw JSON).
        assert "probe `python3 /app/healthcheck.py` failed" in found.message and "times in a row" in found.message
        assert "db DOWN" in found.message and "{" not in found.message
        card = await hover_text(client, uri, parcels)
        assert "Docker health: **unhealthy** · probe `python3 /app/healthcheck.py`" in card
        assert " exit 1: `" in card

        # notifier exits with 137: an error on its line with the code and its last log lines.
        http("POST", f"{shop.urls['notifier']}/admin/exit", {"code": 137})
        found = await until(lambda: diagnostic(client, uri, notifier, "exited with code 137"), "notifier's exit")
        assert found.severity == types.DiagnosticSeverity.Error
        assert titles_at(await lenses(client, uri), notifier)[0] == "✖ exited (137)"
        assert "Exited with code 137" in await hover_text(client, uri, notifier)
    finally:
        await client.shutdown_session()
        # parcels must be healthy again before `compose start` brings notifier back (gateway waits for it).
        http("DELETE", f"{shop.urls['parcels']}/admin/chaos")
        eventually(lambda: shop.docker_health("parcels") == "healthy", timeout=40, what="parcels healthy")
        shop.restore()


async def _has(text_coro: object, needle: str) -> str | None:
    text: str = await text_coro  # type: ignore[misc]
    return text if needle in text else None

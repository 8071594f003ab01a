"""The engine goes away while the server runs, then comes back: the server keeps answering and recovers by itself.

This starts a PRIVATE second dockerd (tests/faults/private_engine.py: own socket, data-root, exec-root, pidfile and
network namespace) so that the shared engine other tests use is never stopped. The server is pointed at it with
DOCKER_HOST.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types

import docker
from dockhand.runtime.compose_cli import ComposeCli, run_compose
from tests.docker.live_helpers import lenses, open_document, services, start_client, titles_at, until
from tests.faults.private_engine import PrivateEngine

SERVICE = """
name: {name}
services:
  ticker:
    image: dockhand/busybox:local
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    network_mode: none
    restart: always
"""
TICKER_LINE = 3


@pytest.fixture
def private_engine(docker_client: docker.DockerClient) -> Iterator[PrivateEngine]:
    """A private dockerd (tests/faults/private_engine.py) holding dockhand/busybox:local; wiped afterwards."""
    engine = PrivateEngine()
    try:
        engine.start()
        engine.load_image(docker_client, "dockhand/busybox:local")
        yield engine
    finally:
        engine.destroy()
        if engine.root.exists():  # a data-root still mounted onto itself: release it, then remove the rest
            subprocess.run(["umount", str(engine.root / "data")], capture_output=True, check=False)
            shutil.rmtree(engine.root, ignore_errors=True)


def docker_host_env(engine: PrivateEngine) -> dict[str, str]:
    return {**os.environ, "DOCKER_HOST": engine.host}


async def test_engine_outage_keeps_the_server_answering_and_recovers(
    private_engine: PrivateEngine, compose_cli: ComposeCli, tmp_path: Path
) -> None:
    name = f"dhout-{uuid.uuid4().hex[:8]}"
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(SERVICE.format(name=name))
    run_compose(compose_cli, ["-f", str(compose_file), "up", "-d"], cwd=tmp_path, env=docker_host_env(private_engine))

    client = await start_client(tmp_path, env={"DOCKER_HOST": private_engine.host})
    try:
        uri = open_document(client, compose_file)

        async def ticker_lens() -> list[str]:
            return titles_at(await lenses(client, uri), TICKER_LINE)

        await until(lambda: _first(ticker_lens, "● running"), "the ticker running")

        await asyncio.to_thread(private_engine.stop)
        await until(lambda: _first(ticker_lens, "? engine down"), "the lens to say the engine is down")
        # Still answering from the snapshot: lenses, the services request, the static hover.
        answer = await services(client)
        assert answer["engine"]["state"] == "down"
        assert "not reachable" in answer["engine"]["error"]["message"]
        assert private_engine.host in answer["engine"]["error"]["message"]
        assert "dockerd" in answer["engine"]["error"]["remediation"]
        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(TICKER_LINE, 4))
        )
        assert hover is not None
        await until(lambda: _diagnostics_say(client, uri, "not reachable"), "one engine diagnostic")
        await asyncio.sleep(3)  # several reconnect attempts happen while the engine is away (checked below)

        await asyncio.to_thread(private_engine.start)
        # `restart: always` brings the ticker back when its engine returns; the server must see that by itself.
        await until(lambda: _first(ticker_lens, "● running"), "the ticker running again", timeout=30)
        answer = await services(client)
        assert answer["engine"]["state"] == "up"
        shown = [m.message for m in client.messages if "not reachable" in m.message]
        assert len(shown) == 1, shown  # one message for the whole outage, not one per reconnect attempt
        downs = [p for m, p in client.notifications if m == "dockhand/engineStatus"]  # type: ignore[attr-defined]
        assert [_state(p) for p in downs][-2:] == ["down", "up"]
        assert not _diagnostics_say(client, uri, "not reachable")
    finally:
        await client.shutdown_session()
        with contextlib.suppress(Exception):
            run_compose(
                compose_cli,
                ["-f", str(compose_file), "down", "-t", "1"],
                cwd=tmp_path,
                env=docker_host_env(private_engine),
            )


async def _first(titles: object, expected: str) -> bool:
    found = await titles()  # type: ignore[operator]
    return bool(found) and found[0] == expected


def _diagnostics_say(client: object, uri: str, text: str) -> bool:
    return any(text in d.message for d in client.diagnostics.get(uri, []))  # type: ignore[attr-defined]


def _state(params: object) -> str:
    return params["state"] if isinstance(params, dict) else params.state  # type: ignore[attr-defined,no-any-return]

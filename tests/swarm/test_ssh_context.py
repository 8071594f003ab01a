"""A remote engine through an ssh Docker context: the rig's manager, reached as ssh://root@10.77.0.2 (sshd in its
network namespace, `docker system dial-stdio` on the far side). The server is told only the context's name."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import uuid
from pathlib import Path

import httpx
from lsprotocol import types

from dockhand.runtime.compose_cli import ComposeCli, run_compose
from tests.docker.live_helpers import lenses, open_document, services, start_client, titles_at, until
from tests.swarm.conftest import Rig

STACK = """name: {name}
services:
  web:
    image: dockhand/busybox:local
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
    ports: ["{port}:8080"]
  crasher:
    image: dockhand/busybox:local
    command: ["sh", "-c", "sleep 12; echo disk full >&2; exit 3"]
"""
WEB_LINE, CRASHER_LINE = 2, 6


def _hover_text(hover: types.Hover | None) -> str:
    if hover is None:
        return ""
    contents = hover.contents
    return contents.value if isinstance(contents, types.MarkupContent) else str(contents)


async def test_live_state_diagnostics_hover_and_urls_through_an_ssh_context(
    swarm_rig: Rig, rig_docker_config: Path, compose_cli: ComposeCli, tmp_path: Path
) -> None:
    name = f"dhssh-{uuid.uuid4().hex[:8]}"
    port = 18000 + int(uuid.uuid4().hex[:3], 16) % 1000
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(STACK.format(name=name, port=port))
    # Compose itself goes over ssh too (the same engine the server will be pointed at by name only).
    over_ssh = {**os.environ, "DOCKER_HOST": swarm_rig.ssh}
    run_compose(compose_cli, ["-f", str(compose_file), "up", "-d"], cwd=tmp_path, env=over_ssh, timeout=180)

    env = {"DOCKER_CONFIG": str(rig_docker_config), "DOCKER_HOST": "", "DOCKHAND_DOCKER_CONTEXT": "rig-ssh"}
    client = await start_client(tmp_path, env=env)
    try:
        uri = open_document(client, compose_file)

        async def web_titles() -> list[str]:
            return titles_at(await lenses(client, uri), WEB_LINE)

        await until(lambda: _starts(web_titles, "● running"), "web running, seen over ssh", timeout=60)
        answer = await services(client)
        assert answer["engine"]["context"] == "rig-ssh" and answer["engine"]["remote"] is True
        assert answer["engine"]["host"] == swarm_rig.ssh

        # A runtime diagnostic from the remote engine's events: the crasher's exit, then with its last log line.
        await until(
            lambda: any("disk full" in d.message for d in client.diagnostics.get(uri, [])),
            "the crasher's exit as a diagnostic",
            timeout=60,
        )
        crash = next(d for d in client.diagnostics[uri] if "disk full" in d.message)
        assert crash.range.start.line == CRASHER_LINE

        # The hover's URL is the remote host's address, and it really answers there.
        hover = _hover_text(await _hover(client, uri, WEB_LINE))
        url = f"http://{swarm_rig.manager_ip}:{port}"
        assert url in hover and "localhost" not in hover
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(f"{url}/passwd")).status_code == 200

        # Cut the link (the manager's veth on the host bridge): hovers keep answering from the snapshot, marked stale.
        await asyncio.to_thread(_link, "down")
        try:
            await until(lambda: _stale_hover(client, uri), "the hover marked stale after the link was cut", timeout=30)
            # Meanwhile the container stops on the far side (through the engine's local socket, not the link).
            await asyncio.to_thread(_stop_web, swarm_rig, name)
        finally:
            await asyncio.to_thread(_link, "up")
        # Back: the stop that happened while the link was down is seen (events since the last one, and a resync).
        await until(lambda: _starts(web_titles, ("○", "✖")), "the web stop seen after reconnecting", timeout=60)
        assert "stale" not in _hover_text(await _hover(client, uri, WEB_LINE))
    finally:
        await client.shutdown_session()
        with contextlib.suppress(Exception):
            run_compose(compose_cli, ["-f", str(compose_file), "down", "-t", "1"], cwd=tmp_path, env=over_ssh)


async def _hover(client: object, uri: str, line: int) -> types.Hover | None:
    params = types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, 4))
    return await client.text_document_hover_async(params)  # type: ignore[attr-defined,no-any-return]


async def _stale_hover(client: object, uri: str) -> bool:
    return "stale: state as of" in _hover_text(await _hover(client, uri, WEB_LINE))


async def _starts(titles: object, expected: str | tuple[str, ...]) -> bool:
    found = await titles()  # type: ignore[operator]
    return bool(found) and found[0].startswith(expected)


def _link(state: str) -> None:
    subprocess.run(["ip", "link", "set", "dhs-m1", state], check=True, timeout=10)


def _stop_web(rig: Rig, project: str) -> None:
    with contextlib.closing(rig.client(rig.manager)) as engine:
        for container in engine.containers.list(filters={"label": f"com.docker.compose.project={project}"}):
            if container.labels.get("com.docker.compose.service") == "web":
                container.stop(timeout=1)

"""A remote engine through a tcp:// context with mutual TLS: the rig's worker engine listens on 10.77.0.3:2376 with
its own CA; the context (made by the real `docker context create … ca=,cert=,key=`) holds the client certificate."""

from __future__ import annotations

import contextlib
import os
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
"""
WEB_LINE = 2


async def test_live_state_and_urls_through_a_tls_context(
    swarm_rig: Rig, rig_docker_config: Path, compose_cli: ComposeCli, tmp_path: Path
) -> None:
    name = f"dhtls-{uuid.uuid4().hex[:8]}"
    port = 19000 + int(uuid.uuid4().hex[:3], 16) % 1000
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(STACK.format(name=name, port=port))
    over_tls = {
        **os.environ,
        "DOCKER_HOST": swarm_rig.tls,
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": swarm_rig.tls_dir,
    }
    run_compose(compose_cli, ["-f", str(compose_file), "up", "-d"], cwd=tmp_path, env=over_tls, timeout=180)
    env = {
        "DOCKER_CONFIG": str(rig_docker_config),
        "DOCKER_HOST": "",
        "DOCKHAND_DOCKER_CONTEXT": "rig-tls",
        # Set machine-wide on many hosts: it must not replace the context's own CA.
        "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt",
    }
    client = await start_client(tmp_path, env=env)
    try:
        uri = open_document(client, compose_file)

        async def running() -> bool:
            found = titles_at(await lenses(client, uri), WEB_LINE)
            return bool(found) and found[0].startswith("● running")

        await until(running, "web running, seen over TLS", timeout=60)
        engine = (await services(client))["engine"]
        assert (engine["context"], engine["host"], engine["state"]) == ("rig-tls", swarm_rig.tls, "up")
        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(WEB_LINE, 4))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        url = f"http://{swarm_rig.worker_ip}:{port}"
        assert url in hover.contents.value
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(f"{url}/passwd")).status_code == 200
    finally:
        await client.shutdown_session()
        with contextlib.suppress(Exception):
            run_compose(compose_cli, ["-f", str(compose_file), "down", "-t", "1"], cwd=tmp_path, env=over_tls)

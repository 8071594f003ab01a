"""The engine goes away while the server runs, then comes back: the server keeps answering and recovers by itself.

This starts a PRIVATE second dockerd (own socket, data-root, exec-root, pidfile; no bridge, no iptables) so that the
shared engine other tests use is never stopped. The server is pointed at it with DOCKER_HOST.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lsprotocol import types

from dockhand.runtime.compose_cli import ComposeCli, run_compose
from tests.docker.live_helpers import lenses, open_document, services, start_client, titles_at, until

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


@dataclass
class PrivateEngine:
    """A dockerd of our own that the test may stop and start at will."""

    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.root}/docker.sock"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.host}

    def start(self) -> None:
        # Its own network namespace: a dockerd started with --bridge=none deletes the host's docker0 otherwise,
        # which cuts every container of the shared engine off from host.docker.internal.
        argv = [
            "unshare",
            "--net",
            shutil.which("dockerd") or "dockerd",
            "--host",
            self.host,
            "--data-root",
            str(self.root / "data"),
            "--exec-root",
            str(self.root / "exec"),
            "--pidfile",
            str(self.root / "docker.pid"),
            "--bridge=none",
            "--iptables=false",
        ]
        with open(self.root / "dockerd.log", "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
        self._wait(lambda: self._answers(), "the private dockerd to answer")

    def stop(self) -> None:
        """SIGTERM, as `systemctl stop docker` does, and wait until it has exited."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _answers(self) -> bool:
        done = subprocess.run(["docker", "info", "--format", "{{.ID}}"], env=self.env, capture_output=True, check=False)
        return done.returncode == 0

    def docker(self, *args: str, stdin: bytes | None = None) -> str:
        return subprocess.run(
            ["docker", *args], env=self.env, input=stdin, capture_output=True, check=True, timeout=120
        ).stdout.decode()

    @staticmethod
    def _wait(check: object, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not check():  # type: ignore[operator]
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.2)


@pytest.fixture
def private_engine(docker_client: object) -> Iterator[PrivateEngine]:
    """A private dockerd holding dockhand/busybox:local; stopped and wiped afterwards."""
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed: run scripts/setup", pytrace=False)
    engine = PrivateEngine(Path(f"/tmp/dhp-{uuid.uuid4().hex[:8]}"))  # short: unix socket paths are limited
    engine.root.mkdir()
    try:
        engine.start()
        image = subprocess.run(["docker", "save", "dockhand/busybox:local"], capture_output=True, check=True).stdout
        engine.docker("load", stdin=image)
        yield engine
    finally:
        with contextlib.suppress(Exception):
            if engine._answers():
                ids = engine.docker("ps", "-aq").split()
                if ids:
                    engine.docker("rm", "-f", *ids)
        engine.stop()
        # dockerd bind-mounts its data-root onto itself; release it before removing the folder.
        subprocess.run(["umount", str(engine.root / "data")], capture_output=True, check=False)
        shutil.rmtree(engine.root, ignore_errors=True)


async def test_engine_outage_keeps_the_server_answering_and_recovers(
    private_engine: PrivateEngine, compose_cli: ComposeCli, tmp_path: Path
) -> None:
    name = f"dhout-{uuid.uuid4().hex[:8]}"
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(SERVICE.format(name=name))
    run_compose(compose_cli, ["-f", str(compose_file), "up", "-d"], cwd=tmp_path, env=private_engine.env)

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
            run_compose(compose_cli, ["-f", str(compose_file), "down", "-t", "1"], cwd=tmp_path, env=private_engine.env)


async def _first(titles: object, expected: str) -> bool:
    found = await titles()  # type: ignore[operator]
    return bool(found) and found[0] == expected


def _diagnostics_say(client: object, uri: str, text: str) -> bool:
    return any(text in d.message for d in client.diagnostics.get(uri, []))  # type: ignore[attr-defined]


def _state(params: object) -> str:
    return params["state"] if isinstance(params, dict) else params.state  # type: ignore[attr-defined,no-any-return]

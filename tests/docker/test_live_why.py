"""Why is it broken, caused for real: a real server under pytest-lsp, a real engine, real containers.

Each answer the issue asks for is provoked the way it happens to people — `docker kill` (SIGKILL), a process that
outgrows `mem_limit`, a host process holding a published port, an unhealthy dependency, a healthcheck still in its
`start_period`, an environment edit without a recreate, a container near its memory limit — and asserted on the
diagnostics and the hover the editor shows.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Awaitable
from pathlib import Path

from lsprotocol import types

from tests.conftest import ComposeProject
from tests.docker.live_helpers import open_document, services, start_client, until
from tests.live_server import hover_text

CRASHES = """
name: {name}
services:
  victim:
    image: dockhand/busybox:local
    command: ["sh", "-c", "echo ready to be killed; exec sleep 3600"]
  hog:
    image: dockhand/busybox:local
    command: ["sh", "-c", "echo filling memory; a=$$(yes | head -c 100000000); echo never"]
    mem_limit: 8m
    memswap_limit: 8m
"""

BLOCKED = """
name: {name}
services:
  web:
    image: dockhand/busybox:local
    command: ["httpd", "-f", "-p", "8080"]
    ports: ["127.0.0.1:{port}:8080"]
  db:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
    healthcheck:
      test: ["CMD-SHELL", "echo '{{\\"status\\":\\"DOWN\\",\\"components\\":{{\\"disk\\":{{\\"status\\":\\"DOWN\\"}}}}}}'; exit 1"]
      interval: 1s
      retries: 1
  api:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
    depends_on:
      db: {{condition: service_healthy}}
  warm:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
    healthcheck:
      test: ["CMD", "cat", "/ready"]
      interval: 1s
      retries: 1
      start_period: 300s
"""

DRIFT = """
name: {name}
services:
  drifty:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
    env_file: [drifty.env]
    environment:
      MODE: {mode}
      API_TOKEN: not-shown
"""

FULL = """
name: {name}
services:
  filler:
    image: dockhand/busybox:local
    command: ["sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=15; exec sleep 3600"]
    mem_limit: 16m
    memswap_limit: 16m
  calm:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
"""


MY_NAME = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
"""How /proc names this test process, which holds the port in the port test."""


def line_of(text: str, service: str) -> int:
    return text.splitlines().index(f"  {service}:")


def diagnostic(client, uri: str, line: int, text: str) -> types.Diagnostic | None:  # type: ignore[no-untyped-def]
    return next((d for d in client.diagnostics.get(uri, []) if d.range.start.line == line and text in d.message), None)


async def test_sigkill_and_oom_are_told_apart(compose_project: ComposeProject) -> None:
    text = CRASHES.format(name=compose_project.name)
    compose_project.write(text)
    compose_project.compose("up", "-d")
    client = await start_client(compose_project.directory)
    try:
        uri = open_document(client, compose_project.file)
        victim, hog = line_of(text, "victim"), line_of(text, "hog")
        # The exit is published at once and again with its last log lines once they are read: wait for those.
        oom = await until(lambda: diagnostic(client, uri, hog, "Last log lines"), "the hog's OOM kill with its logs")
        assert "exited with code 137" in oom.message
        assert "killed by the kernel: out of memory (OOM) — raise `mem_limit`" in oom.message
        assert "Last log lines: filling memory" in oom.message
        await until(lambda: _has(hover_text(client, uri, victim, 3), "- Up "), "the victim running")
        compose_project.containers(**{"com.docker.compose.service": "victim"})[0].kill()  # SIGKILL, like kill -9
        killed = await until(
            lambda: diagnostic(client, uri, victim, "Last log lines"), "the SIGKILL exit with its logs"
        )
        assert "exited with code 137" in killed.message
        assert killed.severity == types.DiagnosticSeverity.Error
        assert "killed by SIGKILL, not out of memory" in killed.message and "OOM)" not in killed.message
        assert "Last log lines: ready to be killed" in killed.message
        card = await hover_text(client, uri, victim, 3)
        assert "Exited with code 137 at" in card and "killed by SIGKILL, not out of memory" in card
        assert "out of memory (OOM)" in await hover_text(client, uri, hog, 3)
    finally:
        await client.shutdown_session()


async def _has(card: Awaitable[str], text: str) -> bool:
    return text in await card


async def test_a_taken_port_an_unhealthy_dependency_and_a_start_period(compose_project: ComposeProject) -> None:
    with socket.socket() as holder:  # a process outside Docker holds the port the file publishes
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        text = BLOCKED.format(name=compose_project.name, port=port)
        compose_project.write(text)
        client = await start_client(compose_project.directory)
        try:
            uri = open_document(client, compose_project.file)
            for service in ("warm", "web", "api"):  # web fails on the port, api on its dependency
                await asyncio.to_thread(
                    subprocess.run,
                    compose_project.cli.argv(
                        "-p", compose_project.name, "-f", str(compose_project.file), "up", "-d", service
                    ),
                    cwd=compose_project.directory,
                    capture_output=True,
                    timeout=120,
                    check=False,
                )
            web, db, api, warm = (line_of(text, s) for s in ("web", "db", "api", "warm"))

            clash = await until(lambda: diagnostic(client, uri, web, "could not start"), "the port clash", timeout=40)
            assert f"host port 127.0.0.1:{port} is taken by {MY_NAME} (pid {os.getpid()}: " in clash.message
            assert clash.message.endswith("— stop it or change `ports:`")

            sick = await until(lambda: diagnostic(client, uri, db, "is unhealthy"), "db unhealthy", timeout=40)
            assert "probe `echo" in sick.message and "status DOWN · disk DOWN" in sick.message
            held = await until(lambda: diagnostic(client, uri, api, "is not started"), "api held back", timeout=40)
            assert held.message.startswith(
                "`api` is not started: it waits for `db` to be healthy (depends_on: service_healthy), but `db` is "
                "unhealthy: probe `echo"
            )
            assert held.severity == types.DiagnosticSeverity.Error

            starting = await until(lambda: diagnostic(client, uri, warm, "start_period"), "warm starting", timeout=40)
            assert starting.severity == types.DiagnosticSeverity.Information
            assert (
                "within its start_period (300 s" in starting.message and "cat: can't open '/ready'" in starting.message
            )
            assert not diagnostic(client, uri, warm, "unhealthy")
            card = await hover_text(client, uri, warm, 3)
            assert "Docker health: **starting** — within its start_period (300 s" in card
            assert "⚠ `api` is not started" in await hover_text(client, uri, api, 3)
            db_card = await hover_text(client, uri, db, 3)
            runs = [line for line in db_card.splitlines() if line.startswith("  - ")]  # the last probes' outputs
            assert runs and all(" exit 1: `status DOWN · disk DOWN`" in line and "{" not in line for line in runs)
        finally:
            await client.shutdown_session()


async def test_an_env_edit_without_recreate_names_the_keys(compose_project: ComposeProject) -> None:
    (compose_project.directory / "drifty.env").write_text("FROM_ENV_FILE=1\n")
    compose_project.write(DRIFT.format(name=compose_project.name, mode="one"))
    compose_project.compose("up", "-d")
    client = await start_client(compose_project.directory)
    try:
        uri = open_document(client, compose_project.file)
        line = line_of(DRIFT, "drifty")
        await until(lambda: _running(client), "drifty running in dockhand/services", timeout=30)
        assert not diagnostic(client, uri, line, "older than this file")  # env_file and image keys are no drift
        (compose_project.directory / "drifty.env").write_text("FROM_ENV_FILE=1\nADDED_IN_ENV_FILE=yes\n")
        compose_project.write(DRIFT.format(name=compose_project.name, mode="two"))
        # The env_file edit alone is drift already (env files are watched); the file's edit then names MODE too.
        found = await until(lambda: diagnostic(client, uri, line, "`MODE` changed"), "the drift", timeout=40)
        assert "older than this file (environment `MODE` changed, `ADDED_IN_ENV_FILE` added)" in found.message
        assert "`restart` keeps the old container — recreate" in found.message
        assert "two" not in found.message and "not-shown" not in found.message and "PATH" not in found.message
        compose_project.compose("restart", "drifty")  # what people try first: it does not apply the file
        assert "older than this file" in await hover_text(client, uri, line, 3)
        compose_project.compose("up", "-d", "drifty")
        await until(lambda: not diagnostic(client, uri, line, "older than this file"), "the drift to clear", timeout=40)
    finally:
        await client.shutdown_session()


async def _running(client) -> bool:  # type: ignore[no-untyped-def]
    answer = await services(client)
    return any(s["state"] == "running" for p in answer["projects"] for s in p["services"])


async def test_resource_use_in_services_hover_and_a_near_limit_warning(compose_project: ComposeProject) -> None:
    text = FULL.format(name=compose_project.name)
    compose_project.write(text)
    compose_project.compose("up", "-d")
    client = await start_client(compose_project.directory, env={"DOCKHAND_STATS_INTERVAL_S": "1"})
    try:
        uri = open_document(client, compose_project.file)
        filler = line_of(text, "filler")

        async def figures() -> dict | None:  # type: ignore[type-arg]
            answer = await services(client)
            found = {s["name"]: s.get("resources") for p in answer["projects"] for s in p["services"]}
            filled = found.get("filler") and found["filler"]["memUsed"] > 14 * 1024 * 1024  # once dd has written
            ready = filled and found.get("calm") and found["calm"]["cpuPercent"] is not None
            return found if ready else None

        found = await until(figures, "resource figures for both services, the filler full", timeout=40)
        assert found["filler"]["memLimit"] == 16 * 1024 * 1024
        assert found["calm"]["memUsed"] < 4 * 1024 * 1024
        assert found["calm"]["netRx"] >= 0 and found["calm"]["blkWrite"] >= 0
        warning = await until(lambda: diagnostic(client, uri, filler, "of its memory limit"), "the near-limit warning")
        assert warning.severity == types.DiagnosticSeverity.Warning and "16.0 MiB" in warning.message
        assert not diagnostic(client, uri, line_of(text, "calm"), "memory limit")
        card = await until(
            lambda: _has_spark(client, uri, filler), "a hover with the memory figures and a sparkline", timeout=20
        )
        assert "memory 1" in card and "MiB / 16.0 MiB (9" in card
    finally:
        await client.shutdown_session()


async def _has_spark(client, uri: str, line: int) -> str | None:  # type: ignore[no-untyped-def]
    card = await hover_text(client, uri, line, 3)
    return card if "CPU `" in card and "memory `" in card else None

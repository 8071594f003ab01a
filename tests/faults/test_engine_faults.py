"""Docker faults on real engines while the server runs: outage and return, a restart loop, a container removed
behind Dockhand's back, a socket it may not open. Figures (hover latency, recovery time) are printed, not asserted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from dockhand.runtime.compose_cli import find_compose, run_compose
from tests.conftest import ComposeProject
from tests.faults.conftest import BUSYBOX, Figures
from tests.faults.private_engine import PrivateEngine
from tests.live_server import SERVER, hover_text, open_document, request, running_server, wait_for

UNREACHABLE = "Docker Engine is not reachable"


def service(payload: dict[str, Any], project: str, name: str) -> dict[str, Any] | None:
    """One service of one project from a dockhand/services answer."""
    for found in payload.get("projects", []):
        if found["name"] == project:
            return next((s for s in found["services"] if s["name"] == name), None)
    return None


async def timed_hovers(lsp: LanguageClient, uri: str, line: int, count: int, gap: float = 0.05) -> list[float]:
    """Round-trip times (ms) of `count` hovers on `line`, each one answered."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        await hover_text(lsp, uri, line, 3)
        times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(gap)
    return times


def shown(lsp: LanguageClient, text: str) -> list[str]:
    return [m.message for m in lsp.messages if text in m.message]


async def test_engine_outage_is_reported_once_and_state_is_correct_after_it_returns(
    private_engine: PrivateEngine, tmp_path: Path, figures: Figures
) -> None:
    name = f"dhfault-{os.getpid()}-outage"
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        f"name: {name}\nservices:\n  web:\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n    init: true\n"
        "    network_mode: none\n    restart: unless-stopped\n"
    )
    engine_env = {**os.environ, "DOCKER_HOST": private_engine.host}
    run_compose(find_compose(), ["-f", str(compose), "up", "-d"], cwd=tmp_path, env=engine_env)
    async with running_server(env={"DOCKER_HOST": private_engine.host}, workspace=str(tmp_path)) as lsp:
        uri = open_document(lsp, str(compose))

        async def web_state() -> str:
            found = service(await request(lsp, "dockhand/services"), name, "web")
            return str(found and found.get("state"))

        async def running_and_up() -> bool:
            payload = await request(lsp, "dockhand/services")
            found = service(payload, name, "web")
            return payload["engine"]["state"] == "up" and found is not None and found["state"] == "running"

        assert await poll(running_and_up, 30), "the server never saw web running"
        figures.latencies("hover, engine up", await timed_hovers(lsp, uri, 2, 20))

        private_engine.stop()
        stopped = time.monotonic()
        assert await wait_for(lambda: shown(lsp, UNREACHABLE), within=30), "no remediation shown for the outage"
        figures.add("engine stop → remediation shown", f"{time.monotonic() - stopped:.2f} s")
        during = await timed_hovers(lsp, uri, 2, 40)  # ~3 s of hovers while the engine is away
        figures.latencies("hover, engine down", during)
        payload = await request(lsp, "dockhand/services")
        assert payload["engine"]["state"] == "down"
        assert payload["engine"]["error"]["remediation"]
        messages = shown(lsp, UNREACHABLE)
        assert len(messages) == 1, messages  # one remediation, not one per retry
        assert "dockerd" in messages[0] or "systemctl" in messages[0]

        private_engine.start()
        back = time.monotonic()
        with contextlib.closing(private_engine.client()) as engine:
            truth = engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={name}"})
        assert await poll(running_and_up, 30), f"state after the engine returned: {await web_state()}"
        figures.add("engine answers again → correct state in dockhand/services", f"{time.monotonic() - back:.2f} s")
        assert [c.status for c in truth] == ["running"]  # restart: unless-stopped brought it back
        assert len(shown(lsp, UNREACHABLE)) == 1
        assert "running" in (await hover_text(lsp, uri, 2, 3)).lower()


async def poll(check: Any, within: float, interval: float = 0.1) -> bool:
    """Await the async `check` until it is true or `within` seconds pass."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(interval)
    return False


async def test_restart_loop_is_one_diagnostic_on_its_line(compose_project: ComposeProject, figures: Figures) -> None:
    compose_project.write(
        f"name: {compose_project.name}\nservices:\n  steady:\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n"
        f"    init: true\n  crashy:\n    image: {BUSYBOX}\n    command: [sh, -c, 'echo boom; exit 3']\n"
        "    restart: always\n"
    )
    compose_project.compose("up", "-d")
    async with running_server(workspace=str(compose_project.directory)) as lsp:
        uri = open_document(lsp, str(compose_project.file))

        def loop_diagnostics() -> list[types.Diagnostic]:
            return [d for d in lsp.diagnostics.get(uri, []) if "restarting in a loop" in d.message]

        found = await wait_for(loop_diagnostics, within=60)
        assert found, [d.message for d in lsp.diagnostics.get(uri, [])]
        assert len(found) == 1 and found[0].range.start.line == 6
        assert found[0].severity == types.DiagnosticSeverity.Error
        figures.latencies("hover on the looping service", await timed_hovers(lsp, uri, 6, 20))
        assert "restart" in (await hover_text(lsp, uri, 6, 3)).lower()
        steady = service(await request(lsp, "dockhand/services"), compose_project.name, "steady")
        assert steady is not None and steady["state"] == "running"
        assert not any(d.range.start.line == 2 for d in lsp.diagnostics.get(uri, []))


async def test_container_removed_behind_dockhands_back(compose_project: ComposeProject) -> None:
    compose_project.write(
        f"name: {compose_project.name}\nservices:\n  web:\n    image: {BUSYBOX}\n    command: [sleep, '3600']\n"
        "    init: true\n"
    )
    compose_project.compose("up", "-d")
    async with running_server(workspace=str(compose_project.directory)) as lsp:
        uri = open_document(lsp, str(compose_project.file))

        async def state() -> str | None:
            found = service(await request(lsp, "dockhand/services"), compose_project.name, "web")
            return None if found is None else str(found["state"])

        assert await poll(lambda: _equals(state, "running"), 30)
        compose_project.containers()[0].remove(force=True)
        assert await poll(lambda: _equals(state, "not running"), 30), await state()
        lenses = await lsp.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
        titles = [lens.command.title for lens in lenses if lens.command and lens.range.start.line == 2]
        assert titles and titles[0] == "○ not running", titles
        assert "not running" in (await hover_text(lsp, uri, 2, 3)).lower()


async def _equals(check: Any, expected: str) -> bool:
    return bool(await check() == expected)


async def test_a_socket_without_permission_gets_the_permission_remediation(tmp_path: Path, figures: Figures) -> None:
    """Root ignores file modes, so the server runs as root without CAP_DAC_OVERRIDE (setpriv): the socket's 0600
    mode and foreign owner then apply to it as to any user outside the docker group."""
    path = tmp_path / "docker.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen()
    os.chown(path, 65534, 65534)
    path.chmod(0o600)
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  web:\n    image: {BUSYBOX}\n")
    command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *SERVER]
    try:
        async with running_server(
            env={"DOCKER_HOST": f"unix://{path}"}, workspace=str(tmp_path), command=command
        ) as lsp:
            uri = open_document(lsp, str(compose))
            message = await wait_for(lambda: shown(lsp, "Permission denied"), within=30)
            assert message, [m.message for m in lsp.messages]
            assert str(path) in message[0] and "docker group" in message[0]
            figures.latencies("hover, socket without permission", await timed_hovers(lsp, uri, 1, 20))
            payload = await request(lsp, "dockhand/services")
            assert payload["engine"]["state"] == "down"
            assert "usermod" in payload["engine"]["error"]["remediation"]
            assert len(shown(lsp, "Permission denied")) == 1
    finally:
        listener.close()

"""The live stack in the editor, end to end: a real server, a real engine, real containers, a pytest-lsp client."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.conftest import ComposeProject
from tests.docker.live_helpers import lenses, messages, open_document, services, start_client, titles_at, until

STACK = """
name: {name}
services:
  web:
    image: dockhand/busybox:local
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/passwd"]
      interval: 1s
      retries: 20
  worker:
    image: dockhand/busybox:local
    command: ["sh", "-c", "echo worker says hello; echo about to be killed; sleep 3600"]
  idle:
    image: dockhand/busybox:local
    command: ["sleep", "3600"]
    profiles: ["later"]
"""

WEB_LINE, WORKER_LINE, IDLE_LINE, SERVICES_LINE = 3, 11, 14, 2


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim"])
async def test_kill_restart_and_lenses_follow_the_engine(compose_project: ComposeProject, editor: str) -> None:
    compose_project.write(STACK.format(name=compose_project.name))
    compose_project.compose("up", "-d", "--wait")
    client = await start_client(compose_project.directory, editor=editor)
    try:
        uri = open_document(client, compose_project.file)

        found = await until(
            lambda: _ready(client, uri), "lenses showing web healthy with its published port", timeout=40
        )
        web = titles_at(found, WEB_LINE)
        port = compose_project.containers(**{"com.docker.compose.service": "web"})[0].ports["8080/tcp"][0]
        assert web[:4] == ["● healthy", "↻ Restart", "■ Stop", "≡ Logs"]
        assert f"↗ :{port['HostPort']}" in web
        # The URL lens asks the editor to open the real published address.
        link = next(x for x in found if x.command and x.command.title == f"↗ :{port['HostPort']}")
        assert link.command is not None
        opened = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(link.command.command, link.command.arguments)
        )
        assert opened["ok"] and client.shown_documents[-1].external
        assert client.shown_documents[-1].uri == f"http://127.0.0.1:{port['HostPort']}"
        assert titles_at(found, IDLE_LINE) == ["○ not running", "▶ Start"]
        assert titles_at(found, SERVICES_LINE) == ["▶ Up all", "■ Down"]
        assert any("`idle` is declared but not running" in m for m in messages(client, uri)), client.diagnostics

        # Kill a container: an error diagnostic on its line with the exit code and its last log lines.
        refreshes = client.lens_refreshes  # type: ignore[attr-defined]
        compose_project.containers(**{"com.docker.compose.service": "worker"})[0].kill()
        diag = await until(lambda: _diagnostic(client, uri, "about to be killed"), "the exit diagnostic with its logs")
        assert "exited with code 137" in diag.message
        assert diag.range.start.line == WORKER_LINE
        assert diag.severity == types.DiagnosticSeverity.Error
        if editor == "visual-studio-code":  # Neovim 0.7 cannot be asked to refresh (and is not: that would warn)
            await until(lambda: client.lens_refreshes > refreshes, "a code lens refresh")  # type: ignore[attr-defined]
        worker = titles_at(await lenses(client, uri), WORKER_LINE)
        assert worker[0] == "✖ exited (137)" and "▶ Start" in worker

        # Restart through the command: a real `compose restart`, seen back through the event stream.
        web_container = compose_project.containers(**{"com.docker.compose.service": "web"})[0]
        started_before = web_container.attrs["State"]["StartedAt"]
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams("dockhand.restart", [{"project": compose_project.name, "service": "web"}])
        )
        assert result["ok"] and result["exitCode"] == 0
        web_container.reload()
        assert web_container.id == compose_project.containers(**{"com.docker.compose.service": "web"})[0].id
        assert web_container.attrs["State"]["StartedAt"] != started_before  # restarted in place, not recreated
        assert any("Restarting" in line or "Started" in line for line in result["lines"])
        assert any(compose_project.name in m.message for m in client.log_messages)  # output streamed to the log
        reports = [r for rs in client.progress_reports.values() for r in rs]
        assert any(isinstance(r, types.WorkDoneProgressBegin) and "compose restart web" in r.title for r in reports)
        assert any(isinstance(r, types.WorkDoneProgressEnd) and r.message == "exit code 0" for r in reports)
        await until(lambda: _web_healthy(client, uri), "web healthy again after the restart", timeout=40)

        # Start the killed worker through its lens command: the diagnostic goes away.
        start = next(
            lens
            for lens in await lenses(client, uri)
            if lens.command and lens.command.title == "▶ Start" and lens.range.start.line == WORKER_LINE
        )
        assert start.command is not None
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(start.command.command, start.command.arguments)
        )
        assert result["ok"]
        await until(lambda: not _diagnostic(client, uri, "exited with code"), "the exit diagnostic to clear")
    finally:
        await client.shutdown_session()


async def test_untrusted_workspace_refuses_lifecycle_commands(compose_project: ComposeProject) -> None:
    compose_project.write(STACK.format(name=compose_project.name))
    client = await start_client(compose_project.directory, options={"trusted": False})
    try:
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams("dockhand.up", [{"project": compose_project.name}])
        )
        assert result["ok"] is False and "untrusted" in result["error"]["message"]
        assert compose_project.containers() == []
        await until(lambda: client.messages, "the refusal message")
        assert "Trust this workspace" in client.messages[-1].message
    finally:
        await client.shutdown_session()


async def test_code_lens_setting_turns_lenses_off(compose_project: ComposeProject) -> None:
    compose_project.write(STACK.format(name=compose_project.name))
    client = await start_client(compose_project.directory, options={"codeLens": False})
    try:
        uri = open_document(client, compose_project.file)
        started = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                "dockhand.up", [{"project": compose_project.name, "service": "worker", "uri": uri}]
            )
        )
        assert started["ok"]

        async def worker_running() -> dict | None:  # type: ignore[type-arg]
            answer = await services(client)
            projects = {p["name"]: p for p in answer["projects"]}
            mine = projects.get(compose_project.name, {"services": []})
            return next((s for s in mine["services"] if s["name"] == "worker" and s["state"] == "running"), None)

        worker = await until(worker_running, "dockhand/services to report the worker running")
        assert not await lenses(client, uri)
        # The tree can jump to the declaration: the service's place in the file comes with its state.
        assert worker["uri"] == uri and worker["range"]["start"]["line"] == WORKER_LINE
        assert worker["image"] == "dockhand/busybox:local" and worker["replicas"] == 1

        # Switched back on in the settings: the editor is asked to fetch lenses again, and gets them.
        refreshes = client.lens_refreshes  # type: ignore[attr-defined]
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"dockhand": {"codeLens": True}})
        )
        await until(lambda: client.lens_refreshes > refreshes, "a code lens refresh")  # type: ignore[attr-defined]
        assert titles_at(await lenses(client, uri), WORKER_LINE)[0] == "● running"
    finally:
        await client.shutdown_session()


async def _ready(client, uri: str) -> list[types.CodeLens] | None:  # type: ignore[no-untyped-def]
    found = await lenses(client, uri)
    web = titles_at(found, WEB_LINE)
    return found if web and web[0] == "● healthy" and any(t.startswith("↗ :") for t in web) else None


async def _web_healthy(client, uri: str) -> bool:  # type: ignore[no-untyped-def]
    return titles_at(await lenses(client, uri), WEB_LINE)[:1] == ["● healthy"]


def _diagnostic(client, uri: str, text: str) -> types.Diagnostic | None:  # type: ignore[no-untyped-def]
    return next((d for d in client.diagnostics.get(uri, []) if text in d.message), None)


async def test_a_container_older_than_its_file_asks_for_a_recreate(compose_project: ComposeProject) -> None:
    compose_project.write(STACK.format(name=compose_project.name))
    compose_project.compose("up", "-d", "worker")
    client = await start_client(compose_project.directory)
    try:
        uri = open_document(client, compose_project.file)
        await until(lambda: _worker_lens(client, uri, "● running"), "the worker running")
        # Change the worker's definition on disk: its running container no longer matches Compose's config hash.
        compose_project.write(STACK.format(name=compose_project.name).replace("worker says hello", "worker v2"))
        diag = await until(lambda: _diagnostic(client, uri, "older than this file"), "the drift warning")
        assert diag.range.start.line == WORKER_LINE and diag.severity == types.DiagnosticSeverity.Warning
        recreate = await until(lambda: _worker_lens(client, uri, "⟳ Recreate"), "a Recreate lens")
        assert recreate.command is not None
        before = compose_project.containers(**{"com.docker.compose.service": "worker"})[0].id
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(recreate.command.command, recreate.command.arguments)
        )
        assert result["ok"], result
        assert compose_project.containers(**{"com.docker.compose.service": "worker"})[0].id != before
        await until(lambda: not _diagnostic(client, uri, "older than this file"), "the drift warning to clear")
    finally:
        await client.shutdown_session()


async def _worker_lens(client, uri: str, title: str) -> types.CodeLens | None:  # type: ignore[no-untyped-def]
    found = await lenses(client, uri)
    return next(
        (x for x in found if x.range.start.line == WORKER_LINE and x.command and x.command.title == title), None
    )

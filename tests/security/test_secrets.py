"""Secrets in `environment` (names with PASSWORD/SECRET/TOKEN/KEY…) never reach the editor or the logs: not in
static or live hovers, not in dockhand/services, not in diagnostics, not in window/logMessage, not on stderr —
with a real running container whose environment holds them, and the server logging at DEBUG."""

from __future__ import annotations

import asyncio
import json

import pytest
from lsprotocol import types

from tests.conftest import ComposeProject
from tests.live_server import hover_text, open_document, request, running_server, wait_for

SECRETS = {
    "DB_PASSWORD": "pw-7f3a9c-never-show",
    "API_TOKEN": "tok-51b2e8-never-show",
    "AWS_SECRET_ACCESS_KEY": "aws-0c4d1e-never-show",
    "SIGNING_KEY": "key-9e8d7c-never-show",
    "db_password_file_secret": "lower-3b2a1f-never-show",
}
LIST_FORM_SECRET = "list-6a5b4c-never-show"


def compose_text(project: str) -> str:
    env = "".join(f"      {name}: {value}\n" for name, value in SECRETS.items())
    return (
        f"name: {project}\nservices:\n  web:\n    image: dockhand/busybox:local\n    command: [sleep, '3600']\n"
        f"    init: true\n    environment:\n{env}      LOG_LEVEL: debug\n"
        f"  worker:\n    image: dockhand/busybox:local\n    command: [sleep, '3600']\n    init: true\n"
        f"    environment:\n      - CLIENT_SECRET={LIST_FORM_SECRET}\n      - MODE=batch\n"
    )


def leaks(text: str) -> list[str]:
    return [v for v in [*SECRETS.values(), LIST_FORM_SECRET] if v in text]


async def test_secret_values_never_reach_the_editor_or_the_logs(
    compose_project: ComposeProject, capfd: pytest.CaptureFixture[str]
) -> None:
    compose_project.write(compose_text(compose_project.name))
    compose_project.compose("up", "-d")
    async with running_server(env={"DOCKHAND_LOG_LEVEL": "DEBUG"}, workspace=str(compose_project.directory)) as lsp:
        # The editor's text has one mistake more than the file on disk, so a diagnostic is published for it.
        text = compose_text(compose_project.name) + "    unknown_key_to_get_a_diagnostic: true\n"
        uri = open_document(lsp, str(compose_project.file), text)
        worker_line = text.splitlines().index("  worker:")
        seen: list[str] = []

        async def live_hover() -> str:
            text = await hover_text(lsp, uri, 2, 3)
            return text if "running" in text.lower() else ""

        web = await wait_for_async(live_hover, 30)
        assert web, "the live hover never showed web running"
        seen.append(web)
        assert "LOG_LEVEL" in web and "debug" in web  # the card does show environment, just not secret values
        assert "DB_PASSWORD" in web
        seen.append(await hover_text(lsp, uri, worker_line, 3))  # list-form environment
        for line in range(len(text.splitlines())):  # every line a user may hover, at the value's column
            seen.append(await hover_text(lsp, uri, line, 8))
        seen.append(json.dumps(await request(lsp, "dockhand/services")))
        assert await wait_for(lambda: lsp.diagnostics.get(uri), within=20), "no diagnostics published"
        seen.extend(d.message for d in lsp.diagnostics.get(uri, []))
        lenses = await lsp.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
        seen.extend(lens.command.title for lens in lenses or [] if lens.command)
        seen.extend(m.message for m in [*lsp.log_messages, *lsp.messages])
    stderr = capfd.readouterr().err
    assert '"logger": "dockhand.lifecycle"' in stderr  # the server's own log lines were captured
    assert leaks("\n".join(seen)) == []
    assert leaks(stderr) == []


async def wait_for_async(check, within: float):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.2)
    return None

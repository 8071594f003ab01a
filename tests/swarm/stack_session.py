"""A compose file opened in the real server, which is pointed at the rig's manager by a context name only, and
deployed from the editor as a stack; the stack's services are removed afterwards whatever happened. Helpers read the
server's lenses, hovers and diagnostics of that file. Shared by the Swarm stack tests."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types

import docker
from tests.docker.live_helpers import lenses, open_document, start_client, until
from tests.swarm.conftest import Rig


@dataclass
class StackSession:
    stack: str
    compose_file: Path
    client: Any
    uri: str
    manager: docker.DockerClient

    async def lenses(self) -> list[types.CodeLens]:
        return await lenses(self.client, self.uri)

    async def lens(self, title_start: str) -> types.CodeLens | None:
        return next((x for x in await self.lenses() if x.command and x.command.title.startswith(title_start)), None)

    async def has_title(self, line: int, title: str) -> bool:
        return title in [x.command.title for x in await self.lenses() if x.range.start.line == line and x.command]

    async def run(self, lens: types.CodeLens) -> dict[str, Any]:
        """Run a lens's command as the editor would (workspace/executeCommand)."""
        assert lens.command is not None
        params = types.ExecuteCommandParams(command=lens.command.command, arguments=lens.command.arguments)
        answer = await self.client.workspace_execute_command_async(params)
        return answer if isinstance(answer, dict) else dict(answer)

    async def deploy(self) -> dict[str, Any]:
        """Wait for the Deploy stack lens (named after the folder) and run it."""
        title = f"⇪ Deploy stack {self.stack}"
        deploy = await until(lambda: self.lens(title), "the Deploy stack lens", 30)
        return await self.run(deploy)

    def diagnostic(self, code: str) -> types.Diagnostic | None:
        return next((d for d in self.client.diagnostics.get(self.uri, []) if d.code == code), None)

    def diagnostics(self, code: str) -> list[types.Diagnostic]:
        return [d for d in self.client.diagnostics.get(self.uri, []) if d.code == code]

    async def hover(self, line: int) -> str:
        params = types.HoverParams(types.TextDocumentIdentifier(self.uri), types.Position(line, 4))
        hover = await self.client.text_document_hover_async(params)
        await asyncio.sleep(0)
        contents = hover.contents if hover is not None else ""
        return contents.value if isinstance(contents, types.MarkupContent) else str(contents)


@contextlib.asynccontextmanager
async def stack_session(
    rig: Rig, docker_config: Path, tmp_path: Path, prefix: str, text: str
) -> AsyncIterator[StackSession]:
    """`text` as compose.yaml in a folder named like a fresh stack, opened in a server on the `rig-manager` context."""
    stack = f"{prefix}{uuid.uuid4().hex[:6]}"
    folder = tmp_path / stack  # the project's name (its folder) is the stack's name
    folder.mkdir()
    compose_file = folder / "compose.yaml"
    compose_file.write_text(text)
    env = {"DOCKER_CONFIG": str(docker_config), "DOCKER_HOST": "", "DOCKHAND_DOCKER_CONTEXT": "rig-manager"}
    client = await start_client(folder, env=env)
    manager = rig.client(rig.manager)
    try:
        yield StackSession(stack, compose_file, client, open_document(client, compose_file), manager)
    finally:
        await client.shutdown_session()
        with contextlib.suppress(Exception):
            for service in manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"}):
                service.remove()
        manager.close()

"""Document links and env_file reads stay inside the project's directory tree: `..` and symlinks that lead out are
neither linked nor read (a marker in the outside file never shows up in a hover or a diagnostic)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types

from tests.live_server import hover_text, open_document, running_server, wait_for

MARKER = "leak-4d2c1b-outside-the-tree"
COMPOSE = """\
services:
  web:
    image: dockhand/busybox:local
    build: ../outside
    env_file:
      - ../outside/secret.env
      - linked.env
      - linkdir/secret.env
      - sub/../../outside/secret.env
      - ./inside.env
    volumes:
      - ../outside:/data
  api:
    image: dockhand/busybox:local
    env_file: [inside.env]
"""


def project(tmp_path: Path) -> Path:
    root, outside = tmp_path / "proj", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").mkdir()
    (outside / "secret.env").write_text(f"OUTSIDE_VALUE={MARKER}\n")
    (outside / "Dockerfile").write_text("FROM scratch\n")
    (root / "inside.env").write_text("INSIDE_VALUE=fine\n")
    os.symlink(outside / "secret.env", root / "linked.env")
    os.symlink(outside, root / "linkdir")
    (root / "compose.yaml").write_text(COMPOSE)
    return root


def path_of(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


async def test_links_and_env_files_never_leave_the_project_tree(tmp_path: Path) -> None:
    root = project(tmp_path)
    async with running_server(workspace=str(root)) as lsp:
        uri = open_document(lsp, str(root / "compose.yaml"))

        async def links() -> list[types.DocumentLink]:
            found = await lsp.text_document_document_link_async(
                types.DocumentLinkParams(types.TextDocumentIdentifier(uri))
            )
            return list(found or [])

        found: list[types.DocumentLink] = []
        for _ in range(50):  # the project is indexed in the background after didOpen
            found = await links()
            if found:
                break
            await wait_for(lambda: False, within=0.1)
        targets = [path_of(link.target) for link in found if link.target]
        assert root.resolve() / "inside.env" in [t.resolve() for t in targets]  # links do work inside the tree
        for target in targets:
            assert target.resolve().is_relative_to(root.resolve()), f"link out of the project: {target}"

        seen = [
            await hover_text(lsp, uri, line, column)
            for line in range(len(COMPOSE.splitlines()))
            for column in (3, 8, 14)
        ]
        await wait_for(lambda: lsp.diagnostics.get(uri) is not None, within=10)
        seen += [d.message for d in lsp.diagnostics.get(uri, [])]
        seen += [m.message for m in [*lsp.log_messages, *lsp.messages]]
        assert any("INSIDE_VALUE" in text or "inside.env" in text for text in seen)
        assert not [text for text in seen if MARKER in text]

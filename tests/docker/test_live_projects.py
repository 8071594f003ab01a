"""Projects the server finds without being told (workspace folders, discovery roots, labels of running containers),
an out-of-memory kill named as such, and the logs command — against the real engine."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.conftest import ComposeProject
from tests.docker.live_helpers import open_document, services, start_client, until

TINY = 'services:\n  {service}:\n    image: dockhand/busybox:local\n    command: ["sleep", "3600"]\n'
HOG = """
name: {name}
services:
  hog:
    image: dockhand/busybox:local
    command: ["sh", "-c", "echo filling memory; a=$$(yes | head -c 100000000); echo never"]
    mem_limit: 16m
    memswap_limit: 16m
"""


def project(answer: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in answer["projects"] if p["name"] == name), None)


async def test_projects_come_from_folders_roots_and_labels(compose_project: ComposeProject, tmp_path: Path) -> None:
    workspace, extra = tmp_path / "workspace", tmp_path / "elsewhere"
    (workspace / "deep" / "shop").mkdir(parents=True)
    (workspace / "deep" / "shop" / "compose.yaml").write_text(TINY.format(service="cart"))
    # Compose reads the project name from .env: the server must name the project the same way.
    suffix = uuid.uuid4().hex[:6]
    (workspace / "deep" / "shop" / ".env").write_text(f"COMPOSE_PROJECT_NAME=shop-{suffix}\n")
    (extra / "billing").mkdir(parents=True)
    (extra / "billing" / "docker-compose.yml").write_text(TINY.format(service="invoices"))
    # A running project whose files are in neither place: only its containers' labels name it.
    compose_project.write(TINY.format(service="far"))
    compose_project.compose("up", "-d")

    client = await start_client(workspace, env={"DOCKHAND_DISCOVERY_ROOTS": str(extra)})
    try:

        async def all_three() -> dict[str, Any] | None:
            answer = await services(client)
            # Known by name at once, their services once Compose has resolved them (it waits for an idle editor).
            listed = {p["name"] for p in answer["projects"] if p["services"]}
            wanted = {f"shop-{suffix}", "billing", compose_project.name}
            return answer if wanted <= listed else None

        answer = await until(all_three, "the three projects in dockhand/services")
        shop = project(answer, f"shop-{suffix}")
        assert shop is not None and [s["name"] for s in shop["services"]] == ["cart"]
        assert shop["services"][0]["state"] == "not running"
        assert shop["configFiles"] == [(workspace / "deep" / "shop" / "compose.yaml").as_uri()]
        billing = project(answer, "billing")
        assert billing is not None and [s["name"] for s in billing["services"]] == ["invoices"]
        far = project(answer, compose_project.name)
        assert far is not None and far["workingDir"] == str(compose_project.directory)
        assert [(s["name"], s["state"]) for s in far["services"]] == [("far", "running")]
    finally:
        await client.shutdown_session()


async def test_a_workspace_folder_added_later_is_searched_at_once(tmp_path: Path) -> None:
    first, added = tmp_path / "first", tmp_path / "added"
    first.mkdir()
    (added / "orders").mkdir(parents=True)
    name = f"orders-{uuid.uuid4().hex[:6]}"
    (added / "orders" / "compose.yaml").write_text(f"name: {name}\n" + TINY.format(service="api"))
    client = await start_client(first)
    try:
        await until(lambda: services(client), "the first dockhand/services answer")
        client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                types.WorkspaceFoldersChangeEvent(added=[types.WorkspaceFolder(added.as_uri(), "added")], removed=[])
            )
        )

        async def found() -> dict[str, Any] | None:
            return project(await services(client), name)

        # Well before the periodic rescan (30 s): the new folder is searched when the editor says it was added.
        orders = await until(found, "the added folder's project in dockhand/services", timeout=10)
        assert orders["configFiles"] == [(added / "orders" / "compose.yaml").as_uri()]
    finally:
        await client.shutdown_session()


async def test_an_oom_kill_is_named_and_logs_come_through_the_command(compose_project: ComposeProject) -> None:
    compose_project.write(HOG.format(name=compose_project.name))
    client = await start_client(compose_project.directory)
    try:
        uri = open_document(client, compose_project.file)
        started = await client.workspace_execute_command_async(
            types.ExecuteCommandParams("dockhand.up", [{"project": compose_project.name, "uri": uri}])
        )
        assert started["ok"], started

        def oom() -> types.Diagnostic | None:
            return next((d for d in client.diagnostics.get(uri, []) if "out of memory (OOM)" in d.message), None)

        found = await until(oom, "the OOM diagnostic")
        assert found.range.start.line == 3 and "exited with code 137" in found.message
        logs = await client.workspace_execute_command_async(
            types.ExecuteCommandParams("dockhand.logs", [{"project": compose_project.name, "service": "hog"}])
        )
        assert logs["ok"] and any("filling memory" in line for line in logs["lines"])
        assert not any("never" in line for line in logs["lines"])
    finally:
        await client.shutdown_session()

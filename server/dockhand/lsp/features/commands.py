"""workspace/executeCommand for the dockhand.* lifecycle commands (see lsp/protocol.py) and dockhand.open.

Each command takes one object `{project, service?, uri?, profiles?}`, runs a real `docker compose` argv through the
per-project LifecycleRunner, reports `$/progress` when the client allows it, streams every output line to the
client's log (window/logMessage), and answers `{ok, exitCode, lines}`. Refused (answer `{ok: false, error}` and a
message) unless the client said the workspace is trusted.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from dockhand.errors import DiagnosticError
from dockhand.lsp import protocol
from dockhand.lsp.server import DockhandServer
from dockhand.runtime.discovery import guess_project
from dockhand.runtime.lifecycle import compose_argv, runnable
from dockhand.runtime.state import ProjectInfo
from dockhand.runtime.threads import in_daemon_thread

logger = logging.getLogger("dockhand.commands")

KEEP_LINES = 200
ACTION_OF = {
    protocol.CMD_UP: "up",
    protocol.CMD_DOWN: "down",
    protocol.CMD_START: "start",
    protocol.CMD_STOP: "stop",
    protocol.CMD_RESTART: "restart",
    protocol.CMD_RECREATE: "recreate",
    protocol.CMD_PULL: "pull",
    protocol.CMD_BUILD: "build",
    protocol.CMD_LOGS: "logs",
}


def untrusted() -> DiagnosticError:
    return DiagnosticError(
        "Dockhand does not run Docker commands in an untrusted workspace",
        "Trust this workspace (VS Code: Manage Workspace Trust) to start, stop or restart services from the editor.",
        "untrusted",
    )


def _failure(ls: DockhandServer, err: DiagnosticError) -> dict[str, Any]:
    ls.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"{err.message}. {err.remediation}"))
    return {"ok": False, "error": {"message": err.message, "remediation": err.remediation, "code": err.code}}


def _arguments(args: tuple[Any, ...]) -> dict[str, Any]:
    first = args[0] if args else {}
    if not isinstance(first, dict) or not isinstance(first.get("project"), str) or not first["project"]:
        raise DiagnosticError(
            "A Dockhand command needs an object argument with a `project` name",
            'Pass `{"project": "<name>", "service": "<optional service>"}` as the first argument.',
            "bad-command",
        )
    return first


def find_project(ls: DockhandServer, name: str, uri: str | None = None) -> ProjectInfo:
    """The project by name: from the snapshot, the command's document, or its containers' labels."""
    assert ls.live is not None
    snapshot = ls.live.store.snapshot
    if name in snapshot.projects:
        return snapshot.projects[name]
    path = to_fs_path(uri) if uri else None
    guessed = guess_project(Path(path).parent) if path else None
    if guessed is not None:  # not resolved yet (just opened): the document's folder says where its files are
        return ProjectInfo(name, guessed.working_dir, guessed.config_files)
    containers = snapshot.project_containers(name)
    if containers:
        c = containers[0]
        return ProjectInfo(name, c.working_dir, c.config_files, source="labels")
    raise DiagnosticError(
        f"Compose project `{name}` is not known",
        "Open its compose file or add its folder to DOCKHAND_DISCOVERY_ROOTS; running projects are found by label.",
        "unknown-project",
    )


async def run_action(ls: DockhandServer, action: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one lifecycle action end to end: argv, progress, streamed output, result."""
    assert ls.live is not None
    uri = args.get("uri") if isinstance(args.get("uri"), str) else None
    project = runnable(find_project(ls, args["project"], uri))
    service = args.get("service") if isinstance(args.get("service"), str) else None
    profiles = [p for p in args.get("profiles") or [] if isinstance(p, str)]
    argv = compose_argv(await in_daemon_thread(ls.live.compose), project, action, service, profiles)
    title = f"compose {action} {service or project.name}"
    token = await _begin_progress(ls, title)
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        del lines[:-KEEP_LINES]
        ls.log_to_client(logging.INFO, f"[{project.name}{'/' + service if service else ''}] {line}")
        if token is not None:
            ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=line[:120]))

    code = -1
    try:
        code = await ls.live.runner.run(argv, project.name, project.working_dir or None, on_line)
    finally:
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"exit code {code}"))
    if code != 0:
        tail = " | ".join(lines[-3:])
        ls.window_show_message(
            types.ShowMessageParams(types.MessageType.Error, f"`{title}` failed (exit code {code}): {tail}")
        )
    return {"ok": code == 0, "exitCode": code, "lines": lines}


async def _begin_progress(ls: DockhandServer, title: str) -> str | None:
    window = ls.client_capabilities.window
    if not (window and window.work_done_progress):
        return None
    token = f"dockhand-{uuid.uuid4().hex[:12]}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception:  # the client refused a progress bar: run without one
        return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=False))
    return token


def register(server: DockhandServer) -> None:
    """Register one command per lifecycle action, plus dockhand.open."""

    def make(action: str) -> Any:
        async def command(ls: DockhandServer, *args: Any) -> dict[str, Any]:
            if not ls.trusted:
                return _failure(ls, untrusted())
            try:
                return await run_action(ls, action, _arguments(args))
            except DiagnosticError as err:
                return _failure(ls, err)

        return command

    for name, action in ACTION_OF.items():
        server.command(name)(make(action))

    @server.command(protocol.CMD_OPEN)
    async def open_url(ls: DockhandServer, *args: Any) -> dict[str, Any]:
        url = args[0].get("url") if args and isinstance(args[0], dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return _failure(ls, DiagnosticError("dockhand.open needs an http(s) URL", 'Pass {"url": "http://…"}.'))
        window = ls.client_capabilities.window
        if window and window.show_document and window.show_document.support:
            result = await ls.window_show_document_async(types.ShowDocumentParams(uri=url, external=True))
            return {"ok": bool(result.success), "url": url}
        return {"ok": True, "url": url}

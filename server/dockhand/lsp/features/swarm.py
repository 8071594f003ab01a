"""Swarm stacks in the editor: diagnostics on a stack service's line (failing tasks, unplaceable tasks, a paused or
rolled-back update, a task whose Actuator is not UP, keys `docker stack deploy` ignores), the hover's Swarm section
(mode, replicas, tasks with node, state, error and Actuator answer), lenses (Deploy stack, Remove stack; per service
Scale -1/+1 and Restart) and their commands. Tasks' Actuator endpoints are polled by the live runtime's
HealthMonitor at their published ports (host mode: the task's node; ingress: a manager, through the mesh).

Reads the SwarmWatcher's snapshot only (runtime/swarm_watch), so it answers at once; commands run real `docker`
argv lists against the same engine (runtime/contexts exported DOCKER_HOST) and only in a trusted workspace.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
import subprocess
import time
import weakref
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from dockhand.compose.nodes import Node
from dockhand.errors import DiagnosticError
from dockhand.lsp import protocol
from dockhand.lsp.features.commands import untrusted
from dockhand.lsp.features.hover import HoverContext, add_hover_section
from dockhand.lsp.features.live import DocumentView
from dockhand.lsp.server import DockhandServer
from dockhand.runtime import swarm
from dockhand.runtime.health import STARTING_GRACE_S, Target, service_setting, target_from
from dockhand.runtime.state import ActuatorHealth, same_actuator
from dockhand.runtime.swarm_watch import SwarmWatcher

logger = logging.getLogger("dockhand.swarm")

SOURCE = "dockhand (swarm)"
CMD_DEPLOY = "dockhand.stack.deploy"
CMD_REMOVE = "dockhand.stack.remove"
CMD_SCALE = "dockhand.stack.scale"
CMD_RESTART = "dockhand.stack.restart"
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


def service_keys(node: Node | None) -> set[str]:
    """A service's keys, those merged in by `<<: *anchor` included (a map's entries already resolve merge keys; the
    example stack takes `build` that way)."""
    return {key for key, _, _ in node.entries()} if node is not None and node.is_map else set()


class SwarmFeature:
    """The snapshot of the stacks and what the editor derives from it."""

    def __init__(self, server: DockhandServer) -> None:
        self.server = server
        self.watcher: SwarmWatcher | None = None
        self.snapshot = swarm.SwarmSnapshot()
        self.health: dict[str, ActuatorHealth] = {}
        """Actuator answers of tasks (and of services through the mesh), by runtime/swarm's health keys."""
        self._targeted: tuple[object, ...] = ()
        """The snapshot and document views the targets were last made from."""

    def start(self) -> None:
        self.watcher = SwarmWatcher(asyncio.get_running_loop(), self._changed)
        self.watcher.start()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

    def _changed(self, snapshot: swarm.SwarmSnapshot) -> None:
        self.snapshot = snapshot
        self._retarget()
        self.server.republish(self.server.projects.open_uris())
        self.server.protocol.notify(protocol.STATE_CHANGED, {"projects": [], "stacks": sorted(snapshot.stacks)})
        live = self.server.live
        if live is not None:
            live.refresh_lenses()  # the live runtime owns the refresh's rate limit

    # --- Actuator health of tasks --------------------------------------------------------------------------
    def _retarget(self) -> None:
        """Hand the HealthMonitor the published ports of the running tasks of every stack an open document matches
        (other stacks are not ours to probe); `x-dockhand: {actuator: …}` applies as for containers."""
        live = self.server.live
        if live is None or live.health is None:
            return
        views = [live.view(uri) for uri in self.server.projects.open_uris()]
        inputs = (self.snapshot, *views)
        if len(inputs) == len(self._targeted) and all(x is y for x, y in zip(inputs, self._targeted, strict=True)):
            return  # called on every publish: only new inputs (both immutable, replaced on change) make new targets
        self._targeted = inputs
        targets: dict[str, Target] = {}
        for view in views:
            stack = self.stack_of(view) if view is not None else None
            if view is None or stack is None:
                continue
            for name in view.services:
                deployed = self.snapshot.stacks[stack].get(name)
                if deployed is None:
                    continue
                decl = view.info.service(name) if view.info is not None else None
                setting = service_setting(decl.x_dockhand) if decl is not None else None
                for key, urls in swarm.health_urls(self.snapshot, deployed).items():
                    target = target_from(urls, setting)
                    if target is not None:
                        targets[key] = target
        live.health.watch("swarm", targets, self._answered)

    def _answered(self, key: str, health: ActuatorHealth | None) -> None:
        old = self.health.pop(key, None)
        if health is not None:
            self.health[key] = health
        if not same_actuator(old, health):  # a new check time alone changes nothing the editor shows
            self.server.republish(self.server.projects.open_uris())

    # --- Matching ----------------------------------------------------------------------------------------
    def _view(self, uri: str) -> DocumentView | None:
        live = self.server.live
        return live.view(uri) if live is not None else None

    def stack_of(self, view: DocumentView) -> str | None:
        return self.snapshot.match(view.project, view.services)

    # --- Diagnostics -------------------------------------------------------------------------------------
    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        view = self._view(uri)
        stack = self.stack_of(view) if view is not None else None
        if view is None or stack is None:
            return []
        self._retarget()  # a document opened after the stacks last changed
        findings: list[swarm.SwarmFinding] = []
        doc = self.server.projects.document(uri)
        services_node = doc.root.get("services") if doc is not None and doc.root is not None else None
        for name in view.services:
            deployed = self.snapshot.stacks[stack].get(name)
            if deployed is not None:
                findings += swarm.service_findings(deployed)
                findings += swarm.health_findings(deployed, self.health, time.time(), STARTING_GRACE_S)
            keys = service_keys(services_node.get(name) if services_node is not None else None)
            findings += swarm.ignored_key_findings(name, sorted(keys))
        return [
            types.Diagnostic(view.services[f.service], f.message, _SEVERITY[f.severity], code=f.code, source=SOURCE)
            for f in findings
            if f.service in view.services
        ]

    # --- Hover -------------------------------------------------------------------------------------------
    def hover(self, context: HoverContext) -> str | None:
        if context.target.kind != "service":
            return None
        view = self._view(context.uri)
        stack = self.stack_of(view) if view is not None else None
        service = self.snapshot.stacks[stack].get(context.target.name) if stack is not None else None
        if service is None:
            return None
        stale = self.snapshot.stale_note(time.time())
        return "\n".join(swarm.card_lines(service, self.health) + ([f"_({stale})_"] if stale else []))

    # --- Lenses ------------------------------------------------------------------------------------------
    def lenses(self, uri: str) -> list[types.CodeLens]:
        view = self._view(uri)
        if view is None or not self.snapshot.manager or view.services_key is None:
            return []
        stack = self.stack_of(view)
        trusted = self.server.trusted  # actions only where the workspace is trusted; the state is shown anyway
        args: dict[str, Any] = {"uri": uri, "stack": stack or view.project}
        top = view.services_key
        lenses = [_lens(top, f"⇪ Deploy stack {args['stack']}", CMD_DEPLOY, args)] if trusted else []
        if stack is None:
            return lenses
        if trusted:
            lenses.append(_lens(top, "✕ Remove stack", CMD_REMOVE, args))
        for name, where in view.services.items():
            service = self.snapshot.stacks[stack].get(name)
            if service is None:
                continue
            one = {**args, "service": name}
            stale = " (stale)" if self.snapshot.error else ""
            lenses.append(_lens(where, f"⎈ {service.replicas()} {service.mode}{stale}", "", None))
            if not trusted:
                continue
            if service.mode == "replicated" and service.desired is not None:
                lenses.append(_lens(where, "▼ Scale", CMD_SCALE, {**one, "replicas": service.desired - 1}))
                lenses.append(_lens(where, "▲ Scale", CMD_SCALE, {**one, "replicas": service.desired + 1}))
            lenses.append(_lens(where, "↻ Restart service", CMD_RESTART, one))
        return lenses

    # --- Commands ----------------------------------------------------------------------------------------
    async def run(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run one stack action as an argv list; `{ok, exitCode, lines}` like the compose commands."""
        docker = shutil.which("docker")
        if docker is None:
            raise DiagnosticError("The docker CLI is not installed", "Install it: stack actions run `docker stack`.")
        uri = args.get("uri") if isinstance(args.get("uri"), str) else ""
        stack = args.get("stack")
        if not isinstance(stack, str) or not stack:
            raise DiagnosticError("A stack command needs a `stack` name", 'Pass {"stack": "<name>", "uri": "…"}.')
        path = to_fs_path(uri) if uri else None
        argv = swarm.stack_argv(
            docker,
            action,
            stack,
            compose_file=path or "",
            service=str(args.get("service") or ""),
            replicas=int(args.get("replicas") or 0),
            detach_flag=await asyncio.to_thread(_deploy_knows_detach, docker),
        )
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(Path(path).parent) if path else None,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        lines = [line for line in out.decode("utf-8", "replace").splitlines() if line.strip()]
        for line in lines:
            self.server.log_to_client(logging.INFO, f"[stack {stack}] {line}")
        if self.watcher is not None:
            self.watcher.poke()
        code = proc.returncode or 0
        if code != 0:
            message = f"`docker {' '.join(argv[1:4])}` failed (exit code {code}): {' | '.join(lines[-3:])}"
            self.server.window_show_message(types.ShowMessageParams(types.MessageType.Error, message))
        return {"ok": code == 0, "exitCode": code, "lines": lines, "argv": argv}


@functools.cache
def _deploy_knows_detach(docker: str) -> bool:
    """Whether this docker CLI has `stack deploy --detach` (asked once: `--help` lists it)."""
    try:
        shown = subprocess.run(  # noqa: S603 - argv list, no shell
            [docker, "stack", "deploy", "--help"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--detach" in shown.stdout


_features: weakref.WeakKeyDictionary[DockhandServer, SwarmFeature] = weakref.WeakKeyDictionary()


def stacks_payload(server: DockhandServer) -> list[dict[str, Any]]:
    """The stacks for dockhand/services (the Services tree): services with mode, replicas and their tasks."""
    feature = _features.get(server)
    return swarm.stacks_json(feature.snapshot, feature.health) if feature is not None else []


def _lens(where: types.Range, title: str, command: str, args: dict[str, Any] | None) -> types.CodeLens:
    at = types.Range(where.start, where.start)
    return types.CodeLens(at, types.Command(title=title, command=command, arguments=[args] if args else None))


def register(server: DockhandServer) -> None:
    """Start the stack watcher with the live runtime; add the diagnostics, hover, lenses and commands."""
    feature = SwarmFeature(server)
    _features[server] = feature
    server.on_started.append(feature.start)
    server.on_shutdown.append(feature.stop)
    server.diagnostic_sources.append(feature.diagnostics)
    server.lens_sources.append(feature.lenses)
    add_hover_section(server, feature.hover)

    def make(action: str) -> Any:
        async def command(ls: DockhandServer, *args: Any) -> dict[str, Any]:
            params = args[0] if args and isinstance(args[0], dict) else {}
            try:
                if not ls.trusted:
                    raise untrusted()
                return await feature.run(action, params)
            except DiagnosticError as err:
                ls.window_show_message(
                    types.ShowMessageParams(types.MessageType.Error, f"{err.message}. {err.remediation}")
                )
                return {"ok": False, "error": {"message": err.message, "remediation": err.remediation}}

        return command

    for name, action in (
        (CMD_DEPLOY, "deploy"),
        (CMD_REMOVE, "remove"),
        (CMD_SCALE, "scale"),
        (CMD_RESTART, "restart"),
    ):
        server.command(name)(make(action))

"""Swarm stacks (`docker stack deploy -c compose.yaml NAME`) as seen from a manager: services, their tasks, and
what the editor shows for them — pure functions over the Engine API's JSON, no I/O.

A stack's services carry `com.docker.stack.namespace=NAME` and are named `NAME_<service>`; a document is matched
to a stack by that name (the project's name) or, failing that, by its services being the file's services.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dockhand.runtime.inspect import epoch_seconds  # one home for Docker's timestamp format
from dockhand.runtime.state import ActuatorHealth, PortBinding
from dockhand.runtime.summary import clock, stale_text
from dockhand.runtime.urls import ServiceUrl, published_urls

NAMESPACE = "com.docker.stack.namespace"
FAILED_STATES = frozenset({"failed", "rejected", "orphaned"})
UPDATE_TROUBLE = {
    "paused": "its rolling update is paused",
    "rollback_started": "its update failed and is rolling back",
    "rollback_paused": "its rollback is paused",
    "rollback_completed": "its update was rolled back",
}
IGNORED_BY_STACK = {
    "build": "`docker stack deploy` does not build: push the image to a registry every node can pull from",
    "container_name": "a Swarm service names its tasks itself",
    "depends_on": "Swarm starts services in no order and ignores `depends_on` (and its conditions)",
    "restart": "Swarm uses `deploy.restart_policy`, not `restart`",
    "links": "links are not supported by Swarm services: use the service name on a shared network",
    "external_links": "external links are not supported by Swarm services",
    "network_mode": "Swarm services cannot use `network_mode`",
    "cgroup_parent": "Swarm services cannot set `cgroup_parent`",
    "devices": "Swarm services cannot map devices",
    "userns_mode": "Swarm services cannot set `userns_mode`",
    "security_opt": "Swarm services ignore `security_opt`",
}


@dataclass(frozen=True)
class SwarmTask:
    """One task (a container slot) of a service."""

    id: str
    slot: int
    node: str
    state: str
    desired: str
    error: str
    message: str
    timestamp: str
    container_id: str = ""
    address: str = ""
    """Its node's address (what a port published in `host` mode is reached at)."""
    host_ports: tuple[tuple[int, int], ...] = ()
    """(published, target) TCP ports this task publishes in `host` mode on its node."""

    @property
    def running(self) -> bool:
        return self.state == "running" and self.desired == "running"

    def urls(self) -> list[ServiceUrl]:
        """Its host-mode ports as URLs at its node's address."""
        return _urls(self.host_ports, self.address)


@dataclass(frozen=True)
class SwarmService:
    """One service of a stack: mode, replicas running/desired, its recent tasks (newest first), update state."""

    id: str
    stack: str
    name: str
    """The compose service name (`web`), without the stack prefix."""
    mode: str
    desired: int | None
    running: int
    tasks: tuple[SwarmTask, ...] = ()
    update_state: str = ""
    update_message: str = ""
    image: str = ""
    ingress_ports: tuple[tuple[int, int], ...] = ()
    """(published, target) TCP ports published through the routing mesh (any node answers on them)."""

    @property
    def full_name(self) -> str:
        return f"{self.stack}_{self.name}"

    def replicas(self) -> str:
        return f"{self.running}/{self.desired if self.desired is not None else '∞'}"


@dataclass(frozen=True)
class SwarmSnapshot:
    """Every stack the manager knows (stack → service name → SwarmService); `manager` is False off a manager."""

    manager: bool = False
    stacks: Mapping[str, Mapping[str, SwarmService]] = field(default_factory=dict)
    node_count: int = 0
    ingress_address: str = ""
    """A manager's address: where the routing mesh answers for `ingress` ports."""
    error: str = ""
    """Why this is not current (the engine stopped answering); empty while polls succeed."""
    since: float = 0.0
    """When the engine last answered (epoch seconds): what a stale snapshot's age counts from."""

    def ingress_urls(self, service: SwarmService) -> list[ServiceUrl]:
        """A service's mesh-published ports as URLs at a manager's address."""
        return _urls(service.ingress_ports, self.ingress_address)

    def stale_note(self, now: float) -> str:
        """`stale: state as of 12:00:01, 7 s old — why`, or "" while the snapshot is current."""
        if not self.error:
            return ""
        return f"{stale_text(self.since, now)} — {self.error}"

    def match(self, project: str, services: Iterable[str]) -> str | None:
        """The stack deployed from a document: the one named like its project, else the one whose services are
        all the document's (several: the first by name)."""
        if project in self.stacks:
            return project
        declared = set(services)
        for name in sorted(self.stacks):
            if declared and set(self.stacks[name]) <= declared:
                return name
        return None


def _urls(ports: Iterable[tuple[int, int]], address: str) -> list[ServiceUrl]:
    """(published, target) TCP ports at `address` as URLs (none without an address)."""
    bindings = (PortBinding(target, "tcp", address, published) for published, target in ports)
    return published_urls(bindings, "") if address else []


def _tcp_ports(ports: Any, mode: str | None) -> tuple[tuple[int, int], ...]:
    """(published, target) of the API's PortConfig list, TCP only, of one publish mode (None: any)."""
    found = []
    for port in ports if isinstance(ports, list) else ():
        published, target = port.get("PublishedPort"), port.get("TargetPort")
        if (port.get("Protocol") or "tcp") != "tcp" or not published or not target:
            continue
        if mode is None or (port.get("PublishMode") or "ingress") == mode:
            found.append((int(published), int(target)))
    return tuple(sorted(found))


def _task(raw: Mapping[str, Any], nodes: Mapping[str, str], addresses: Mapping[str, str]) -> SwarmTask:
    status = raw.get("Status") or {}
    container = (status.get("ContainerStatus") or {}).get("ContainerID") or ""
    node_id = str(raw.get("NodeID") or "")
    return SwarmTask(
        id=str(raw.get("ID", "")),
        slot=int(raw.get("Slot") or 0),
        node=nodes.get(node_id, node_id[:12]),
        state=str(status.get("State") or ""),
        desired=str(raw.get("DesiredState") or ""),
        error=str(status.get("Err") or ""),
        message=str(status.get("Message") or ""),
        timestamp=str(status.get("Timestamp") or raw.get("UpdatedAt") or ""),
        container_id=str(container),
        address=addresses.get(node_id, ""),
        host_ports=_tcp_ports((status.get("PortStatus") or {}).get("Ports"), None),  # only host-mode ones are here
    )


def _node_address(node: Mapping[str, Any]) -> str:
    """A node's reachable address: its Status.Addr, else its manager address without the port."""
    address = str((node.get("Status") or {}).get("Addr") or "")
    if address in ("", "0.0.0.0"):
        address = str((node.get("ManagerStatus") or {}).get("Addr") or "").rsplit(":", 1)[0]
    return address


def build_snapshot(
    services: Sequence[Mapping[str, Any]],
    tasks: Sequence[Mapping[str, Any]],
    nodes: Sequence[Mapping[str, Any]],
    manager: bool = True,
) -> SwarmSnapshot:
    """A SwarmSnapshot from the API's `/services`, `/tasks` and `/nodes` answers."""
    hostnames = {str(n.get("ID")): str((n.get("Description") or {}).get("Hostname") or "") for n in nodes}
    addresses = {str(n.get("ID")): _node_address(n) for n in nodes}
    managers = [addresses[str(n.get("ID"))] for n in nodes if n.get("ManagerStatus")]
    by_service: dict[str, list[SwarmTask]] = {}
    for raw in tasks:
        by_service.setdefault(str(raw.get("ServiceID")), []).append(_task(raw, hostnames, addresses))
    stacks: dict[str, dict[str, SwarmService]] = {}
    for raw in services:
        spec = raw.get("Spec") or {}
        stack = str((spec.get("Labels") or {}).get(NAMESPACE) or "")
        if not stack:
            continue
        full = str(spec.get("Name") or "")
        name = full[len(stack) + 1 :] if full.startswith(stack + "_") else full
        mode_spec = spec.get("Mode") or {}
        mine = sorted(by_service.get(str(raw.get("ID")), []), key=lambda t: t.timestamp, reverse=True)
        running = sum(1 for t in mine if t.running)
        if "Global" in mode_spec:
            mode, desired = "global", sum(1 for t in mine if t.desired == "running")
        else:
            mode, desired = "replicated", int((mode_spec.get("Replicated") or {}).get("Replicas") or 0)
        update = raw.get("UpdateStatus") or {}
        image = str(((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image") or "")
        stacks.setdefault(stack, {})[name] = SwarmService(
            id=str(raw.get("ID", "")),
            stack=stack,
            name=name,
            mode=mode,
            desired=desired,
            running=running,
            tasks=tuple(mine),
            update_state=str(update.get("State") or ""),
            update_message=str(update.get("Message") or ""),
            image=image.split("@", 1)[0],
            ingress_ports=_tcp_ports((raw.get("Endpoint") or {}).get("Ports"), "ingress"),
        )
    return SwarmSnapshot(manager, stacks, len(nodes), next((a for a in managers if a), ""))


def stacks_json(snapshot: SwarmSnapshot, health: Mapping[str, ActuatorHealth] | None = None) -> list[dict[str, Any]]:
    """The `stacks` of the dockhand/services answer: each stack's services with mode, replicas, update state, last
    error and their ten newest tasks (with their Actuator's answer, "" when none is polled)."""
    stacks = snapshot.stacks
    health = health or {}
    return [
        {
            "name": name,
            "services": [
                {
                    "name": service.name,
                    "mode": service.mode,
                    "running": service.running,
                    "desired": service.desired,
                    "updateState": service.update_state,
                    "lastError": next((t.error for t in service.tasks if t.error), ""),
                    "tasks": [
                        {
                            "name": f"{service.full_name}.{t.slot}" if t.slot else service.full_name,
                            "node": t.node,
                            "state": t.state,
                            "desired": t.desired,
                            "error": t.error,
                            "actuator": _actuator_text(health[key]) if (key := task_health_key(t)) in health else "",
                        }
                        for t in service.tasks[:10]
                    ],
                }
                for service in sorted(stacks[name].values(), key=lambda x: x.name)
            ],
        }
        for name in sorted(stacks)
    ]


@dataclass(frozen=True)
class SwarmFinding:
    """A diagnostic for one service line: severity is "error" or "warning"."""

    service: str
    severity: str
    message: str
    code: str


def _last_failure(service: SwarmService) -> SwarmTask | None:
    return next((t for t in service.tasks if t.state in FAILED_STATES or t.error), None)


def service_findings(service: SwarmService) -> list[SwarmFinding]:
    """What is wrong with a running stack's service: tasks that fail to start, tasks that cannot be placed, a
    paused or rolled-back update. Nothing once its replicas are all running again."""
    found: list[SwarmFinding] = []
    name = service.name
    pending = [t for t in service.tasks if t.desired == "running" and t.state == "pending" and t.error]
    if pending:  # the scheduler found no node: constraints, resources, or a platform no node has
        found.append(
            SwarmFinding(
                name,
                "error",
                f"`{name}` cannot be placed: {pending[0].error} ({service.replicas()} running)",
                "swarm-unplaceable",
            )
        )
    elif service.desired is not None and service.running < service.desired:
        failure = _last_failure(service)
        if failure is not None:
            found.append(
                SwarmFinding(
                    name,
                    "error",
                    f"`{name}` task {service.full_name}.{failure.slot} on {failure.node or '?'} {failure.state}: "
                    f"{failure.error or failure.message} at {_time(failure.timestamp)} ({service.replicas()} running)",
                    "swarm-task-failed",
                )
            )
    trouble = UPDATE_TROUBLE.get(service.update_state)
    if trouble:
        detail = f": {service.update_message}" if service.update_message else ""
        found.append(SwarmFinding(name, "warning", f"`{name}`: {trouble}{detail}", "swarm-update"))
    return found


def _time(timestamp: str) -> str:
    seconds = epoch_seconds(timestamp)
    return clock(seconds) if seconds is not None else timestamp


def ignored_key_findings(service: str, keys: Iterable[str]) -> list[SwarmFinding]:
    """Warnings for keys `docker stack deploy` ignores, for a service of a document deployed as a stack."""
    return [
        SwarmFinding(
            service,
            "warning",
            f"`{key}` is ignored by `docker stack deploy`: {IGNORED_BY_STACK[key]}",
            "swarm-ignored-key",
        )
        for key in keys
        if key in IGNORED_BY_STACK
    ]


def card_lines(
    service: SwarmService, health: Mapping[str, ActuatorHealth] | None = None, max_tasks: int = 5
) -> list[str]:
    """The hover's Swarm part: mode and replicas, then the newest tasks with node, state, error and the Actuator
    answer polled at their published port."""
    health = health or {}
    mesh = health.get(service_health_key(service))
    lines = [
        f"**Swarm** · stack `{service.stack}` · {service.mode} · {service.replicas()} running"
        + (f" · update {service.update_state}" if service.update_state else "")
        + (f" · Actuator {_actuator_text(mesh)} (routing mesh)" if mesh is not None else "")
    ]
    for task in service.tasks[:max_tasks]:
        error = f" — {task.error}" if task.error else ""
        answer = health.get(task_health_key(task)) if task.running else None
        actuator = f" · Actuator {_actuator_text(answer)}" if answer is not None else ""
        lines.append(
            f"- `{service.full_name}.{task.slot}` on {task.node or '?'}: {task.state}"
            f" (desired {task.desired}) at {_time(task.timestamp)}{error}{actuator}"
        )
    return lines


# --- Actuator health of tasks, through their published ports -------------------------------------------------
def task_health_key(task: SwarmTask) -> str:
    return f"task:{task.id}"


def service_health_key(service: SwarmService) -> str:
    return f"service:{service.id}"


def health_urls(snapshot: SwarmSnapshot, service: SwarmService) -> dict[str, list[ServiceUrl]]:
    """Where to ask a service's Actuator, by health key: each running task at its node's host-mode ports, and the
    service once through the routing mesh for its `ingress` ports (which task answers there is the mesh's pick)."""
    found = {task_health_key(t): t.urls() for t in service.tasks if t.running and t.host_ports}
    mesh = snapshot.ingress_urls(service)
    if mesh:
        found[service_health_key(service)] = mesh
    return {key: urls for key, urls in found.items() if urls}


def _actuator_text(health: ActuatorHealth) -> str:
    if health.last_error:
        return f"not answering ({health.last_error})"
    down = [f"{name} {status}" for name, status in health.components if status not in ("UP", "UNKNOWN")]
    return health.status + (f" ({', '.join(down)})" if down else "")


def health_findings(
    service: SwarmService, health: Mapping[str, ActuatorHealth], now: float, grace_s: float = 60.0
) -> list[SwarmFinding]:
    """Errors for running tasks whose Actuator says they are not UP (or stopped answering, after `grace_s` of
    running: an application warming up is no fault), and for the service's answer through the routing mesh."""
    found: list[SwarmFinding] = []
    name = service.name
    checked: list[tuple[str, SwarmTask | None, ActuatorHealth | None]] = [
        (f"task {service.full_name}.{t.slot} on {t.node or '?'}", t, health.get(task_health_key(t)))
        for t in service.tasks
        if t.running
    ]
    checked.append(("through the routing mesh", None, health.get(service_health_key(service))))
    for where, task, answer in checked:
        if answer is None or (not answer.last_error and answer.status in ("UP", "UNKNOWN")):
            continue
        started = epoch_seconds(task.timestamp) if task is not None else None
        if answer.last_error and started is not None and now - started < grace_s:
            continue
        found.append(
            SwarmFinding(
                name, "error", f"`{name}` {where}: Actuator {_actuator_text(answer)} at {answer.url}", "swarm-unhealthy"
            )
        )
    return found


def stack_argv(
    docker: str,
    action: str,
    stack: str,
    compose_file: str = "",
    service: str = "",
    replicas: int = 0,
    detach_flag: bool = True,
) -> list[str]:
    """The docker CLI argv of a stack action (never a shell string). `detach_flag`: the CLI knows `stack deploy
    --detach` (26 and later, which would otherwise warn about a coming change; older ones always detach)."""
    if action == "deploy":
        detach = ["--detach=true"] if detach_flag else []
        return [docker, "stack", "deploy", *detach, "-c", compose_file, stack]
    if action == "remove":
        return [docker, "stack", "rm", stack]
    if action == "scale":
        return [docker, "service", "scale", "--detach", f"{stack}_{service}={max(0, replicas)}"]
    if action == "restart":
        return [docker, "service", "update", "--force", "--detach", f"{stack}_{service}"]
    raise ValueError(f"unknown stack action {action!r}")

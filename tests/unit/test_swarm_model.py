"""Swarm stacks as the editor sees them (runtime/swarm, pure): the Engine API's `/services`, `/tasks` and `/nodes`
answers, in the shapes Docker 20.10 returns (as read from the rig's manager), turned into replicas, tasks and
findings, Actuator answers of tasks at their published ports, a stale snapshot. The same behaviours on the real rig:
tests/swarm/test_stack.py (failing, replaced, unplaceable tasks), test_update_failure.py (a rolled-back and a paused
update), test_example_stack.py (tasks' Actuator through host-mode ports)."""

from __future__ import annotations

import dataclasses

from dockhand.runtime import swarm
from dockhand.runtime.state import ActuatorHealth

NODES = [
    {"ID": "n1", "Description": {"Hostname": "dhs-m1"}},
    {"ID": "n2", "Description": {"Hostname": "dhs-w1"}},
]


def service(sid: str, name: str, replicas: int, update: dict[str, str] | None = None) -> dict[str, object]:
    raw: dict[str, object] = {
        "ID": sid,
        "Spec": {
            "Name": f"shop_{name}",
            "Labels": {swarm.NAMESPACE: "shop"},
            "Mode": {"Replicated": {"Replicas": replicas}},
            "TaskTemplate": {"ContainerSpec": {"Image": "dockhand/busybox:local@sha256:abc"}},
        },
    }
    if update:
        raw["UpdateStatus"] = update
    return raw


def task(sid: str, slot: int, node: str, state: str, desired: str, when: str, err: str = "") -> dict[str, object]:
    status: dict[str, object] = {"State": state, "Timestamp": when, "Message": state}
    if err:
        status["Err"] = err
    return {
        "ID": f"t{slot}{when}",
        "ServiceID": sid,
        "Slot": slot,
        "NodeID": node,
        "DesiredState": desired,
        "Status": status,
    }


def test_replicas_tasks_and_a_failed_task_on_the_worker() -> None:
    tasks = [
        task("s1", 1, "n1", "running", "running", "2026-12-07T01:00:00Z"),
        task("s1", 2, "n2", "failed", "shutdown", "2026-12-07T01:00:05Z", "task: non-zero exit (137)"),
        task("s1", 2, "n2", "preparing", "running", "2026-12-07T01:00:06Z"),
    ]
    snapshot = swarm.build_snapshot([service("s1", "web", 2)], tasks, NODES)
    web = snapshot.stacks["shop"]["web"]
    assert (web.mode, web.running, web.desired, web.image) == ("replicated", 1, 2, "dockhand/busybox:local")
    assert web.tasks[0].state == "preparing"  # newest first
    (finding,) = swarm.service_findings(web)
    assert finding.code == "swarm-task-failed" and "on dhs-w1 failed: task: non-zero exit (137)" in finding.message
    assert "shop_web.2" in finding.message and "(1/2 running)" in finding.message
    lines = swarm.card_lines(web)
    assert lines[0].startswith("**Swarm** · stack `shop` · replicated · 1/2 running")
    assert any("on dhs-w1: failed" in line and "non-zero exit (137)" in line for line in lines)


def test_no_finding_once_every_replica_runs_again() -> None:
    tasks = [
        task("s1", 1, "n1", "running", "running", "2026-12-07T01:00:00Z"),
        task("s1", 2, "n2", "failed", "shutdown", "2026-12-07T01:00:05Z", "task: non-zero exit (137)"),
        task("s1", 2, "n2", "running", "running", "2026-12-07T01:00:08Z"),
    ]
    web = swarm.build_snapshot([service("s1", "web", 2)], tasks, NODES).stacks["shop"]["web"]
    assert web.running == 2 and swarm.service_findings(web) == []


def test_a_rolled_back_update_is_a_warning() -> None:
    update = {"State": "rollback_completed", "Message": "rollback completed"}
    tasks = [task("s1", 1, "n1", "running", "running", "2026-12-07T01:00:00Z")]
    web = swarm.build_snapshot([service("s1", "web", 1, update)], tasks, NODES).stacks["shop"]["web"]
    (finding,) = swarm.service_findings(web)
    assert finding.severity == "warning" and "rolled back" in finding.message


def test_a_document_matches_its_stack_by_name_or_by_its_services() -> None:
    snapshot = swarm.build_snapshot([service("s1", "web", 1)], [], NODES)
    assert snapshot.match("shop", ["web", "db"]) == "shop"
    assert snapshot.match("other", ["web", "db"]) == "shop"  # deployed under another name: its services say so
    assert snapshot.match("other", ["api"]) is None


def test_keys_stack_deploy_ignores_are_warnings_and_others_are_not() -> None:
    found = swarm.ignored_key_findings("web", ["build", "image", "depends_on", "deploy"])
    assert [f.message.split(" ")[0] for f in found] == ["`build`", "`depends_on`"]
    assert all(f.severity == "warning" for f in found)


def test_stack_actions_are_argv_lists() -> None:
    assert swarm.stack_argv("docker", "scale", "shop", service="web", replicas=3) == [
        "docker",
        "service",
        "scale",
        "--detach",
        "shop_web=3",
    ]
    assert swarm.stack_argv("docker", "restart", "shop", service="web")[-3:] == ["--force", "--detach", "shop_web"]


# --- Actuator health through published ports; a stale snapshot ---------------------------------------------------
ADDRESSED = [
    {
        "ID": "n1",
        "Description": {"Hostname": "dhs-m1"},
        "Status": {"Addr": "0.0.0.0"},
        "ManagerStatus": {"Addr": "10.77.0.2:2377"},
    },
    {"ID": "n2", "Description": {"Hostname": "dhs-w1"}, "Status": {"Addr": "10.77.0.3"}},
]


def published(raw: dict[str, object], ports: list[dict[str, object]]) -> dict[str, object]:
    """A task with PortStatus (host mode) or a service with Endpoint.Ports (the API's shapes)."""
    if "ServiceID" in raw:
        raw["Status"] = {**raw["Status"], "PortStatus": {"Ports": ports}}  # type: ignore[dict-item]
    else:
        raw["Endpoint"] = {"Ports": ports}
    return raw


def port(published_port: int, target: int, mode: str, protocol: str = "tcp") -> dict[str, object]:
    return {"Protocol": protocol, "TargetPort": target, "PublishedPort": published_port, "PublishMode": mode}


def test_host_mode_tasks_are_asked_at_their_node_and_ingress_ports_at_a_manager() -> None:
    tasks = [
        published(task("s1", 1, "n1", "running", "running", "2026-12-07T01:00:00Z"), [port(8081, 8080, "host")]),
        published(task("s1", 2, "n2", "running", "running", "2026-12-07T01:00:01Z"), [port(8081, 8080, "host")]),
        published(task("s1", 3, "n2", "failed", "shutdown", "2026-12-07T00:59:00Z"), [port(8081, 8080, "host")]),
    ]
    services = [
        published(service("s1", "web", 2), [port(8081, 8080, "host")]),
        published(service("s2", "api", 1), [port(9000, 8080, "ingress"), port(53, 53, "ingress", "udp")]),
    ]
    snapshot = swarm.build_snapshot(services, tasks, ADDRESSED)
    web, api = snapshot.stacks["shop"]["web"], snapshot.stacks["shop"]["api"]
    urls = {key: [u.url for u in found] for key, found in swarm.health_urls(snapshot, web).items()}
    running = {t.slot: t for t in web.tasks if t.running}
    # A node whose Status.Addr is 0.0.0.0 (a manager advertising on all interfaces) is reached at its manager address.
    assert urls == {
        swarm.task_health_key(running[1]): ["http://10.77.0.2:8081"],
        swarm.task_health_key(running[2]): ["http://10.77.0.3:8081"],
    }  # the failed task is not asked
    assert web.ingress_ports == ()
    assert {k: [u.url for u in v] for k, v in swarm.health_urls(snapshot, api).items()} == {
        swarm.service_health_key(api): ["http://10.77.0.2:9000"]  # UDP has no URL
    }


def test_an_actuator_that_is_not_up_is_an_error_naming_the_task_and_node() -> None:
    raw = [
        published(task("s1", 1, "n1", "running", "running", "2026-12-07T01:00:00Z"), [port(8082, 8080, "host")]),
        published(task("s1", 2, "n2", "running", "running", "2026-12-07T01:00:00Z"), [port(8082, 8080, "host")]),
    ]
    snapshot = swarm.build_snapshot([service("s1", "tracking", 2)], raw, ADDRESSED)
    tracking = snapshot.stacks["shop"]["tracking"]
    one, two = sorted((t for t in tracking.tasks), key=lambda t: t.slot)
    later = 1_796_000_000.0  # long after both tasks started
    health = {
        swarm.task_health_key(one): ActuatorHealth("http://10.77.0.2:8082/actuator/health", "UP", (("db", "UP"),)),
        swarm.task_health_key(two): ActuatorHealth(
            "http://10.77.0.3:8082/actuator/health", "OUT_OF_SERVICE", (("db", "UP"), ("queue", "OUT_OF_SERVICE"))
        ),
    }
    (finding,) = swarm.health_findings(tracking, health, later)
    assert finding.code == "swarm-unhealthy" and finding.severity == "error"
    assert finding.message.startswith("`tracking` task shop_tracking.2 on dhs-w1: Actuator OUT_OF_SERVICE")
    assert "(queue OUT_OF_SERVICE)" in finding.message and "http://10.77.0.3:8082/actuator/health" in finding.message
    lines = swarm.card_lines(tracking, health)
    assert any("on dhs-m1: running" in line and line.endswith("· Actuator UP") for line in lines)
    assert any(
        "on dhs-w1: running" in line and "Actuator OUT_OF_SERVICE (queue OUT_OF_SERVICE)" in line for line in lines
    )
    # Everything UP again: no finding.
    health[swarm.task_health_key(two)] = ActuatorHealth("http://10.77.0.3:8082/actuator/health", "UP")
    assert swarm.health_findings(tracking, health, later) == []


def test_a_task_not_answering_is_an_error_only_after_its_grace() -> None:
    raw = [published(task("s1", 1, "n2", "running", "running", "2026-12-07T01:00:00Z"), [port(8082, 8080, "host")])]
    tracking = swarm.build_snapshot([service("s1", "tracking", 1)], raw, ADDRESSED).stacks["shop"]["tracking"]
    started = swarm.epoch_seconds("2026-12-07T01:00:00Z")
    assert started is not None
    refused = {
        swarm.task_health_key(tracking.tasks[0]): ActuatorHealth(
            "http://10.77.0.3:8082/actuator/health", last_error="connection refused"
        )
    }
    assert swarm.health_findings(tracking, refused, started + 10, grace_s=60) == []  # still warming up
    (finding,) = swarm.health_findings(tracking, refused, started + 61, grace_s=60)
    assert "Actuator not answering (connection refused)" in finding.message


def test_a_snapshot_the_manager_stopped_answering_for_says_so_with_its_age() -> None:
    snapshot = swarm.build_snapshot(
        [service("s1", "web", 1)], [task("s1", 1, "n1", "running", "running", "2026-12-07T01:00:00Z")], NODES
    )
    assert snapshot.stale_note(1_796_000_000.0) == ""
    stale = dataclasses.replace(snapshot, error="the manager did not answer within 5 s", since=1_796_000_000.0)
    note = stale.stale_note(1_796_000_012.0)
    assert note.startswith("stale: state as of ") and "12 s old" in note and note.endswith("within 5 s")

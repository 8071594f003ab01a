"""Swarm stacks as the editor sees them (runtime/swarm, pure): the Engine API's `/services`, `/tasks` and `/nodes`
answers, in the shapes Docker 20.10 returns (as read from the rig's manager), turned into replicas, tasks and
findings. The rolled-back update is written here because making one on the rig takes a minute of failing tasks;
failing, replaced and unplaceable tasks are covered for real in tests/swarm/test_stack.py."""

from __future__ import annotations

from dockhand.runtime import swarm

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

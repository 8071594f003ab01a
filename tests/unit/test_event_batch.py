"""Event batches: one plan per container, engine calls only where the events do not say what changed."""

from __future__ import annotations

from typing import Any

from dockhand.runtime.event_batch import derive, plan_batch
from dockhand.runtime.state import ContainerInfo, DockerHealth


def event(action: str, cid: str = "c1", ns: int = 1_000_000_000, **attributes: str) -> dict[str, Any]:
    return {"Action": action, "Actor": {"ID": cid, "Attributes": attributes}, "timeNano": ns}


RUNNING = ContainerInfo(id="c1", name="p-web-1", project="p", service="web", state="running", started_at=1.0)


def test_a_crash_is_known_from_the_die_event_alone() -> None:
    plans = plan_batch([event("die", ns=5_000_000_000, exitCode="3")], set())
    plan = plans["c1"]
    assert not plan.inspect and plan.fetch_logs
    info = derive(RUNNING, plan)
    assert (info.state, info.exit_code, info.finished_at, info.stopped) == ("exited", 3, 5.0, False)


def test_a_sigterm_stop_is_on_purpose() -> None:
    terminating: set[str] = set()
    plan = plan_batch([event("kill", signal="15"), event("die", exitCode="143"), event("stop")], terminating)["c1"]
    assert derive(RUNNING, plan).stopped and not plan.inspect
    assert terminating == set()


def test_a_storm_coalesces_to_one_plan_per_container_and_the_latest_state_wins() -> None:
    events = [event(a, cid) for _ in range(10) for cid in ("c1", "c2") for a in ("die", "start")]
    plans = plan_batch(events, set())
    assert list(plans) == ["c1", "c2"]
    assert all(p.events == 20 and p.inspect and p.exited_ns is None and not p.fetch_logs for p in plans.values())
    last_die = plan_batch([event("start"), event("die", exitCode="1")], set())["c1"]
    assert last_die.inspect and last_die.exited_ns is not None and last_die.fetch_logs


def test_destroy_removes_and_health_comes_from_the_status() -> None:
    assert plan_batch([event("die"), event("destroy")], set())["c1"].removed
    unhealthy = RUNNING.__class__(**{**RUNNING.__dict__, "health": DockerHealth("unhealthy", 3, "refused", 1)})
    healthy = plan_batch([event("health_status: healthy")], set())["c1"]
    assert not healthy.inspect
    assert derive(unhealthy, healthy).health == DockerHealth("healthy", 0, "", 0)
    assert plan_batch([event("health_status: unhealthy")], set())["c1"].inspect  # its probe output is in inspect

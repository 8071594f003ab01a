"""The engine watcher's event inbox: a watcher that falls behind drops a bounded backlog for one resync."""

from __future__ import annotations

import pytest

from dockhand.observe import metrics
from dockhand.runtime import engine


def backlog() -> float:
    return float(metrics.REGISTRY.get_sample_value("dockhand_docker_event_backlog") or 0.0)


def test_events_are_taken_in_order_while_the_backlog_is_small() -> None:
    inbox = engine._Inbox()
    before = backlog()
    inbox.pump(iter([{"n": 1}, {"n": 2}]))  # the stream ends after two events
    assert backlog() == before + 2
    assert inbox.take(timeout=0) == [{"n": 1}, {"n": 2}]
    with pytest.raises(ConnectionError):
        inbox.take(timeout=0)


def test_a_backlog_past_its_bound_is_dropped_and_asks_for_a_resync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_EVENT_BACKLOG", 100)
    inbox = engine._Inbox()
    before = backlog()
    inbox.pump({"n": n} for n in range(250))  # a watcher stuck for a while: nobody takes
    assert len(inbox._events) <= 100
    assert backlog() - before <= 100
    assert inbox.take(timeout=0) is None  # dropped: the watcher reads every container again instead
    assert backlog() == before
    with pytest.raises(ConnectionError):
        inbox.take(timeout=0)

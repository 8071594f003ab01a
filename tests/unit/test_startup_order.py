"""The start-up work runs once, after the first document's diagnostics or the grace, never after shutdown; the
start-up timeline records each phase once and logs one line when every expected step is in."""

from __future__ import annotations

import asyncio
import logging

import pytest

from dockhand.config import Settings
from dockhand.lsp import server as server_module
from dockhand.lsp.server import DockhandServer
from dockhand.observe.startup import StartupTimeline


def server_with_hooks(calls: list[str], done: asyncio.Event | None = None) -> DockhandServer:
    server = DockhandServer(Settings())

    def failing() -> None:
        calls.append("failing")
        raise RuntimeError("one feature failed to start")

    def last() -> None:
        calls.append("telemetry")
        if done is not None:
            done.set()

    server.on_started += [lambda: calls.append("live"), failing, last]
    return server


async def test_the_first_analysis_starts_the_work_once_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "STARTUP_AFTER_FIRST_S", 0.01)
    calls: list[str] = []
    done = asyncio.Event()
    server = server_with_hooks(calls, done)
    server.defer_startup()
    server.first_analysis_done()
    server.first_analysis_done()
    assert calls == []  # not inside the didOpen handler
    await asyncio.wait_for(done.wait(), 30)
    assert calls == ["live", "failing", "telemetry"]  # one failing hook does not keep the others from starting
    server.first_analysis_done()
    server.start_background("again")
    assert calls == ["live", "failing", "telemetry"]
    assert list(server.timeline.marks()) == ["start-up work began"]


async def test_without_a_document_the_work_starts_after_the_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "STARTUP_GRACE_S", 0.01)
    calls: list[str] = []
    done = asyncio.Event()
    server = server_with_hooks(calls, done)
    server.defer_startup()
    await asyncio.wait_for(done.wait(), 30)
    assert calls == ["live", "failing", "telemetry"]


async def test_shutdown_before_the_start_cancels_it() -> None:
    calls: list[str] = []
    server = server_with_hooks(calls)
    server.defer_startup()
    server.first_analysis_done()
    server.stop_background()
    await asyncio.sleep(0)
    server.start_background("late")
    assert calls == [] and not server.started


async def test_an_analysis_before_initialized_leaves_the_grace_in_charge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "STARTUP_GRACE_S", 0.01)
    calls: list[str] = []
    done = asyncio.Event()
    server = server_with_hooks(calls, done)
    server.first_analysis_done()  # no `initialized` yet (a client out of order): nothing is armed
    await asyncio.sleep(0)
    assert calls == []
    server.defer_startup()
    await asyncio.wait_for(done.wait(), 30)
    assert calls == ["live", "failing", "telemetry"]


def test_timeline_marks_each_phase_once_and_logs_when_every_step_is_in(caplog: pytest.LogCaptureFixture) -> None:
    timeline = StartupTimeline()
    timeline.expect("engine")
    timeline.expect("telemetry")
    timeline.mark("engine")  # before begin(): not part of this start
    assert timeline.marks() == {}
    timeline.begin()
    with caplog.at_level(logging.INFO, logger="dockhand.startup"):
        timeline.mark("first diagnostics published")
        timeline.mark("engine")
        first = timeline.marks()["engine"]
        timeline.mark("engine")
        assert timeline.marks()["engine"] == first
        assert not caplog.records  # telemetry is still missing
        timeline.mark("telemetry")
        timeline.mark("later")
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert set(record.startup_ms) == {"first diagnostics published", "engine", "telemetry"}  # type: ignore[attr-defined]
    assert "first diagnostics published" in record.getMessage()

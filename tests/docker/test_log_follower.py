"""Following real containers' logs through the Docker API into the trace-indexed buffers."""

from __future__ import annotations

import time

import docker
from dockhand.telemetry.log_follower import FollowTarget, LogFollowers
from dockhand.telemetry.logs import LogCorrelator
from tests.conftest import ComposeProject
from tests.docker.conftest import eventually

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
OTHER = "0af7651916cd43dd8448eb211c80319c"

COMPOSE = f"""\
services:
  spring:
    image: dockhand/busybox:local
    init: true
    command:
      - sh
      - -c
      - |
        echo "INFO [main] Started in 1.2 s"
        echo "INFO [exec-1] [{TRACE}-00f067aa0ba902b7] c.e.Orders : order 7 loaded"
        echo "INFO [exec-2] [{OTHER}-b7ad6b7169203331] c.e.Orders : order 8 loaded"
        sleep 1
        echo "WARN [exec-1] [{TRACE}-00f067aa0ba902b7] c.e.Orders : order 7 is late"
        sleep 3600
  worker:
    image: dockhand/busybox:local
    init: true
    command:
      - sh
      - -c
      - |
        echo '{{"level":"INFO","trace_id":"{TRACE}","span_id":"53995c3f42cd8ad8","msg":"mail queued"}}'
        echo '{{"level":"INFO","msg":"idle"}}'
        sleep 3600
"""


def test_followers_buffer_every_line_and_index_the_trace_lines(compose_project: ComposeProject) -> None:
    compose_project.write(COMPOSE)
    compose_project.compose("up", "-d")
    targets = [FollowTarget(c.id, c.labels["com.docker.compose.service"], c.name) for c in compose_project.containers()]
    logs = LogCorrelator(max_lines=1000, window_s=600)
    followers = LogFollowers(logs, lambda: docker.from_env(timeout=30))
    try:
        followers.sync(targets)
        eventually(lambda: logs.line_count() == 6, what="all six lines buffered")
        lines = logs.lines_for_trace(TRACE)
        assert {(line.service, line.text) for line in lines} == {
            ("spring", f"INFO [exec-1] [{TRACE}-00f067aa0ba902b7] c.e.Orders : order 7 loaded"),
            ("worker", f'{{"level":"INFO","trace_id":"{TRACE}","span_id":"53995c3f42cd8ad8","msg":"mail queued"}}'),
            ("spring", f"WARN [exec-1] [{TRACE}-00f067aa0ba902b7] c.e.Orders : order 7 is late"),
        }
        assert {line.service for line in lines} == {"spring", "worker"} and len(lines) == 3
        assert lines[-1].text.endswith("order 7 is late") and lines[-1].span_id == "00f067aa0ba902b7"
        times = [line.time_ns for line in lines]
        assert times == sorted(times) and abs(times[0] - time.time_ns()) < 600 * 1_000_000_000
        assert [line.text for line in logs.lines_for_trace(OTHER)] == [
            f"INFO [exec-2] [{OTHER}-b7ad6b7169203331] c.e.Orders : order 8 loaded"
        ]
        # A follower that restarts resumes after what it has: no line twice.
        followers.sync([])
        eventually(lambda: not followers.following(), what="followers stopped")
        followers.sync(targets)
        eventually(lambda: len(followers.following()) == 2, what="followers restarted")
        time.sleep(1)
        assert logs.line_count() == 6 and len(logs.lines_for_trace(TRACE)) == 3
    finally:
        followers.stop()

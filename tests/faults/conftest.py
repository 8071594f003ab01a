"""Fault-suite fixtures: figures printed at the end of the run, a private engine, hostile neighbours."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import pytest

import docker
from tests.faults.private_engine import PrivateEngine

BUSYBOX = "dockhand/busybox:local"
_FIGURES: list[tuple[str, str]] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("fault suite figures (measured, not asserted)")
        for name, value in _FIGURES:
            terminalreporter.write_line(f"{name}: {value}")


class Figures:
    """Measured figures (latency, memory, recovery time) reported at the end of the run, never asserted."""

    def add(self, name: str, value: str) -> None:
        _FIGURES.append((name, value))

    def latencies(self, name: str, samples_ms: list[float]) -> None:
        if not samples_ms:
            self.add(name, "no samples")
            return
        ordered = sorted(samples_ms)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        self.add(
            name,
            f"n={len(ordered)} p50={statistics.median(ordered):.2f} ms p95={p95:.2f} ms max={ordered[-1]:.2f} ms",
        )


@pytest.fixture
def figures() -> Figures:
    return Figures()


@pytest.fixture
def private_engine(docker_client: docker.DockerClient) -> Iterator[PrivateEngine]:
    """A Docker Engine of the test's own (socket, data, exec root), holding a copy of the busybox image."""
    engine = PrivateEngine()
    try:
        engine.start()
        engine.load_image(docker_client, BUSYBOX)
        yield engine
    finally:
        engine.destroy()

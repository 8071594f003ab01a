"""Spring Boot Actuator look-alikes: `/actuator/health` components and Micrometer's Prometheus timer series."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Spring's SimpleStatusAggregator order: the first one present wins. DOWN and OUT_OF_SERVICE answer 503.
STATUS_ORDER = ("DOWN", "OUT_OF_SERVICE", "UP", "UNKNOWN")
UNAVAILABLE = {"DOWN", "OUT_OF_SERVICE"}
HealthCheck = Callable[[], tuple[str, dict[str, Any]]]


def ping() -> tuple[str, dict[str, Any]]:
    return "UP", {}


def disk_space(path: str, threshold: int = 10 * 1024 * 1024) -> HealthCheck:
    def check() -> tuple[str, dict[str, Any]]:
        usage = shutil.disk_usage(path)
        details = {"total": usage.total, "free": usage.free, "threshold": threshold, "path": path, "exists": True}
        return ("UP" if usage.free >= threshold else "DOWN"), details

    return check


def database(probe: Callable[[], object]) -> HealthCheck:
    """Spring's `db` component: UP when `probe` (a `SELECT 1`) succeeds."""

    def check() -> tuple[str, dict[str, Any]]:
        try:
            probe()
        except sqlite3.Error as exc:
            return "DOWN", {"database": "SQLite", "error": f"{type(exc).__name__}: {exc}"}
        return "UP", {"database": "SQLite", "validationQuery": "isValid()"}

    return check


def health(checks: dict[str, HealthCheck], overrides: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of `/actuator/health`; `overrides` (the chaos knob) replaces a component's status."""
    components: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            status, details = check()
        except Exception as exc:  # a broken check is a DOWN component, as in Spring
            status, details = "DOWN", {"error": f"{type(exc).__name__}: {exc}"}
        status = overrides.get(name, overrides.get("*", status))
        components[name] = {"status": status, **({"details": details} if details else {})}
    statuses = {c["status"] for c in components.values()}
    overall = next((s for s in STATUS_ORDER if s in statuses), "UNKNOWN")
    return (503 if overall in UNAVAILABLE else 200), {"status": overall, "components": components}


def outcome(status: int) -> str:
    return {1: "INFORMATIONAL", 2: "SUCCESS", 3: "REDIRECTION", 4: "CLIENT_ERROR", 5: "SERVER_ERROR"}.get(
        status // 100, "UNKNOWN"
    )


BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_WINDOW_S = 120.0  # Micrometer's `_max` decays: it is the largest value seen over a recent window


@dataclass
class _Timer:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    count: int = 0
    total: float = 0.0
    max: float = 0.0
    max_since: float = field(default_factory=time.monotonic)

    def record(self, seconds: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
        self.count += 1
        self.total += seconds
        now = time.monotonic()
        if now - self.max_since > MAX_WINDOW_S:
            self.max, self.max_since = 0.0, now
        self.max = max(self.max, seconds)


class Metrics:
    """`http_server_requests_seconds` with Spring Boot's labels, rendered in the Prometheus text format."""

    def __init__(self, application: str) -> None:
        self.application = application
        self.started = time.time()
        self._lock = threading.Lock()
        self._timers: dict[tuple[str, str, str, str, str], _Timer] = {}

    def record(self, method: str, uri: str, status: int, seconds: float, exception: str = "none") -> None:
        key = (exception, method, outcome(status), str(status), uri)
        with self._lock:
            self._timers.setdefault(key, _Timer()).record(seconds)

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            timers = sorted(self._timers.items())
            lines += ["# HELP http_server_requests_seconds  ", "# TYPE http_server_requests_seconds histogram"]
            for key, t in timers:
                labels = self._labels(key)
                lines += [
                    f'http_server_requests_seconds_bucket{{{labels},le="{b}"}} {n}'
                    for b, n in zip(BUCKETS, t.counts, strict=True)
                ]
                lines.append(f'http_server_requests_seconds_bucket{{{labels},le="+Inf"}} {t.count}')
                lines.append(f"http_server_requests_seconds_count{{{labels}}} {t.count}")
                lines.append(f"http_server_requests_seconds_sum{{{labels}}} {t.total!r}")
            lines += ["# HELP http_server_requests_seconds_max  ", "# TYPE http_server_requests_seconds_max gauge"]
            lines += [f"http_server_requests_seconds_max{{{self._labels(k)}}} {t.max!r}" for k, t in timers]
        app = f'application="{self.application}"'
        lines += [
            "# HELP process_uptime_seconds The uptime of the Java virtual machine",
            "# TYPE process_uptime_seconds gauge",
            f"process_uptime_seconds{{{app}}} {time.time() - self.started:.3f}",
            "# HELP process_start_time_seconds Start time of the process since unix epoch.",
            "# TYPE process_start_time_seconds gauge",
            f"process_start_time_seconds{{{app}}} {self.started:.3f}",
        ]
        return "\n".join(lines) + "\n"

    def _labels(self, key: tuple[str, str, str, str, str]) -> str:
        exception, method, result, status, uri = key
        error = "none" if exception == "none" else exception
        return (
            f'application="{self.application}",error="{error}",exception="{exception}",method="{method}",'
            f'outcome="{result}",status="{status}",uri="{uri}"'
        )

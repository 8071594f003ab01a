"""Misbehaviour knobs for tests and demos: health overrides, added latency, error rate, exit with a code.

Set at start-up from CHAOS_* environment variables, changed at run time through `/admin/chaos`:

    CHAOS_HEALTH=db=DOWN          component=status pairs; a bare status applies to every component
    CHAOS_LATENCY_MS=/parcels/{id}=300   route=milliseconds pairs; a bare number applies to every business route
    CHAOS_ERROR_RATE=0.5          route=fraction pairs (0..1) answered with 500; bare = every business route
    CHAOS_EXIT_CODE=3 CHAOS_EXIT_AFTER_S=10   exit with that code after that many seconds

"*" means every business route: `/actuator/*` and `/admin/*` are only affected when named explicitly, so a
stack with errors switched on stays observable.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Mapping
from typing import Any

from shopkit.actuator import STATUS_ORDER

log = logging.getLogger("com.parcelshop.chaos.ChaosMonkey")
_OPERATIONAL_PREFIXES = ("/actuator", "/admin")


def _pairs(raw: str) -> dict[str, str]:
    """`a=1,b=2` → {a: 1, b: 2}; a bare value `1` → {"*": 1}."""
    out: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, value = item.rpartition("=")
        out[key.strip() if sep else "*"] = value.strip()
    return out


class Chaos:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.health: dict[str, str] = {}
        self.latency_ms: dict[str, float] = {}
        self.error_rate: dict[str, float] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Chaos:
        env = os.environ if env is None else env
        chaos = cls()
        chaos.update(
            {
                "health": _pairs(env.get("CHAOS_HEALTH", "")),
                "latency_ms": _pairs(env.get("CHAOS_LATENCY_MS", "")),
                "error_rate": _pairs(env.get("CHAOS_ERROR_RATE", "")),
            }
        )
        if env.get("CHAOS_EXIT_CODE"):
            exit_later(int(env["CHAOS_EXIT_CODE"]), float(env.get("CHAOS_EXIT_AFTER_S", "0")))
        return chaos

    def update(self, body: Mapping[str, Any]) -> None:
        """Merge a partial setting; a value of null (or "UP"/0 for health/latency/errors) removes an entry.
        Raises ValueError on anything malformed, changing nothing."""
        unknown = set(body) - {"health", "latency_ms", "error_rate"}
        if unknown:
            raise ValueError(f"unknown knob(s): {', '.join(sorted(unknown))}; use health, latency_ms, error_rate")
        health = {k: None if v is None else str(v).upper() for k, v in dict(body.get("health") or {}).items()}
        for name, status in health.items():
            if status is not None and status not in STATUS_ORDER:
                raise ValueError(f"health.{name}: {status!r} is not one of {', '.join(STATUS_ORDER)}")
        latency = {k: None if v is None else float(v) for k, v in dict(body.get("latency_ms") or {}).items()}
        if any(v is not None and v < 0 for v in latency.values()):
            raise ValueError("latency_ms values must be ≥ 0")
        errors = {k: None if v is None else float(v) for k, v in dict(body.get("error_rate") or {}).items()}
        if any(v is not None and not 0 <= v <= 1 for v in errors.values()):
            raise ValueError("error_rate values must be between 0 and 1")
        with self._lock:
            _merge(self.health, health, drop={"UP"})
            _merge(self.latency_ms, latency, drop={0.0})
            _merge(self.error_rate, errors, drop={0.0})
        if any(body.values()):
            log.warning("Chaos knobs now %s", self.snapshot())

    def reset(self) -> None:
        with self._lock:
            self.health.clear()
            self.latency_ms.clear()
            self.error_rate.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "health": dict(self.health),
                "latency_ms": dict(self.latency_ms),
                "error_rate": dict(self.error_rate),
            }

    def latency_s(self, route: str) -> float:
        with self._lock:
            return _lookup(self.latency_ms, route, 0.0) / 1000

    def should_fail(self, route: str) -> bool:
        with self._lock:
            rate = _lookup(self.error_rate, route, 0.0)
        return rate > 0 and random.random() < rate


def _merge(target: dict[str, Any], changes: dict[str, Any], drop: set[Any]) -> None:
    for key, value in changes.items():
        if value is None or value in drop:
            target.pop(key, None)
        else:
            target[key] = value


def _lookup(table: dict[str, float], route: str, default: float) -> float:
    if route in table:
        return table[route]
    if route.startswith(_OPERATIONAL_PREFIXES):
        return default
    return table.get("*", default)


def exit_later(code: int, delay_s: float) -> None:
    """Leave the process with `code` after `delay_s` — long enough for the HTTP answer to reach the caller."""

    def leave() -> None:
        log.error("Exiting with code %d on purpose (chaos)", code)
        from shopkit.tracing import exporter

        exporter.flush()
        logging.shutdown()
        os._exit(code)

    timer = threading.Timer(delay_s, leave)
    timer.daemon = True
    timer.start()

"""Resource use per container (CPU %, memory used/limit, network and block I/O) from the engine's stats.

Cost is bounded by design: one thread asks the engine for a one-shot sample (`stats?stream=false&one-shot=true`,
which answers at once instead of waiting for a second sample) of one container at a time, spreading the running
containers evenly over `stats_interval_s`. CPU % is the difference between two of our own samples. A stream per
container instead means a thread and a JSON document per container per second: 50 threads and 0.8 % of a core in
the reader alone, where this sampler's cost for 50 containers was within the noise of the idle server (0.55-0.68 %
in all; bench/stats_bench.py). The pure parts (a sample from the engine's JSON, the sparkline, the words) are unit-tested.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockhand.runtime import contexts
from dockhand.runtime.state import Snapshot

if TYPE_CHECKING:
    import docker

logger = logging.getLogger("dockhand.resources")

HISTORY = 60
"""Samples kept per container: the sparkline's window (10 minutes at the default 10 s)."""
NEAR_LIMIT = 0.9
"""Memory use at or above this share of the container's limit is reported."""
_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Usage:
    """One sample of a container's resource use. Counters (bytes, CPU ns) are totals since the container started."""

    at: float
    cpu_percent: float | None
    """Of one core (100 % = one core busy, as `docker stats` shows); None for the first sample."""
    mem_used: int
    mem_limit: int
    net_rx: int
    net_tx: int
    blk_read: int
    blk_write: int
    cpu_total_ns: int = 0
    system_ns: int = 0
    online_cpus: int = 1

    @property
    def mem_share(self) -> float | None:
        return self.mem_used / self.mem_limit if self.mem_limit else None


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return 0


def usage_from_stats(raw: Mapping[str, Any], previous: Usage | None, at: float) -> Usage:
    """A Usage from the engine's stats JSON (cgroup v1 or v2); CPU % against `previous`, our own earlier sample."""
    cpu = raw.get("cpu_stats") or {}
    total = _int((cpu.get("cpu_usage") or {}).get("total_usage"))
    system = _int(cpu.get("system_cpu_usage"))
    online = _int(cpu.get("online_cpus")) or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or ()) or 1
    percent = None
    if previous is not None and system > previous.system_ns and total >= previous.cpu_total_ns:
        # The engine's system counter advances by every core's time: scale to "% of one core" like `docker stats`.
        percent = (total - previous.cpu_total_ns) / (system - previous.system_ns) * online * 100.0
    memory = raw.get("memory_stats") or {}
    detail = memory.get("stats") or {}
    # What `docker stats` shows: usage without the page cache the kernel can drop at once.
    # (cgroup v1 names it total_inactive_file, v2 inactive_file; zero is a real value, not a missing one.)
    cache = _int(detail.get("total_inactive_file", detail.get("inactive_file", 0)))
    used = max(_int(memory.get("usage")) - cache, 0)
    networks = (raw.get("networks") or {}).values()
    rx = sum(_int(n.get("rx_bytes")) for n in networks if isinstance(n, Mapping))
    tx = sum(_int(n.get("tx_bytes")) for n in networks if isinstance(n, Mapping))
    read = write = 0
    for entry in (raw.get("blkio_stats") or {}).get("io_service_bytes_recursive") or ():
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += _int(entry.get("value"))
        elif op == "write":
            write += _int(entry.get("value"))
    return Usage(at, percent, used, _int(memory.get("limit")), rx, tx, read, write, total, system, online)


def sparkline(values: Sequence[float], width: int = 20) -> str:
    """`▁▂▅█▃`: the last `width` values scaled between their minimum and maximum (flat → all `▁`)."""
    shown = list(values)[-width:]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = high - low
    return "".join(
        _BARS[0] if span <= 0 else _BARS[min(int((v - low) / span * (len(_BARS) - 1) + 0.5), 7)] for v in shown
    )


def size(n: float) -> str:
    """`512 B`, `1.5 KiB`, `20.3 MiB`, `1.2 GiB`."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop always returns


def short_line(u: Usage) -> str:
    """`1.2% · 20.3 MiB/64.0 MiB`: the Services tree's description."""
    cpu = f"{u.cpu_percent:.1f}%" if u.cpu_percent is not None else "…"
    return f"{cpu} · {size(u.mem_used)}/{size(u.mem_limit)}"


def card_line(history: Sequence[Usage]) -> str:
    """The hover's resource lines: latest figures, then CPU and memory sparklines over the kept window."""
    if not history:
        return ""
    u = history[-1]
    share = f" ({u.mem_share * 100:.0f} %)" if u.mem_share is not None else ""
    cpu = f"{u.cpu_percent:.1f} %" if u.cpu_percent is not None else "…"
    text = (
        f"CPU {cpu} · memory {size(u.mem_used)} / {size(u.mem_limit)}{share} · "
        f"net ↓ {size(u.net_rx)} ↑ {size(u.net_tx)} · block read {size(u.blk_read)} write {size(u.blk_write)}"
    )
    cpus = [h.cpu_percent for h in history if h.cpu_percent is not None]
    if len(history) >= 2:
        minutes = max((u.at - history[0].at) / 60, 0.1)
        text += f"\n  - last {minutes:.0f} min: CPU `{sparkline(cpus)}` · memory `{sparkline([h.mem_used for h in history])}`"
    return text


def near_limit(u: Usage | None) -> bool:
    return u is not None and u.mem_share is not None and u.mem_share >= NEAR_LIMIT


class ResourceBook:
    """The kept samples per container id; written on the server's loop, read by handlers."""

    def __init__(self) -> None:
        self._history: dict[str, collections.deque[Usage]] = {}

    def add(self, container_id: str, usage: Usage) -> bool:
        """Keep a sample; True when the container crossed the memory threshold (either way)."""
        history = self._history.setdefault(container_id, collections.deque(maxlen=HISTORY))
        before = near_limit(history[-1]) if history else False
        history.append(usage)
        return near_limit(usage) != before

    def latest(self, container_id: str) -> Usage | None:
        history = self._history.get(container_id)
        return history[-1] if history else None

    def history(self, container_id: str) -> list[Usage]:
        return list(self._history.get(container_id, ()))

    def keep_only(self, container_ids: Iterable[str]) -> None:
        keep = set(container_ids)
        for cid in [c for c in self._history if c not in keep]:
            del self._history[cid]


def memory_findings(book: ResourceBook, snapshot: Snapshot, project: str) -> list[tuple[str, str]]:
    """(service, message) for running containers of `project` at or above NEAR_LIMIT of their memory limit."""
    found: list[tuple[str, str]] = []
    for c in snapshot.project_containers(project):
        u = book.latest(c.id)
        if c.running and near_limit(u) and u is not None and u.mem_share is not None:
            found.append(
                (
                    c.service,
                    f"`{c.service}` uses {u.mem_share * 100:.0f} % of its memory limit ({size(u.mem_used)} of "
                    f"{size(u.mem_limit)}): near an out-of-memory kill — raise `mem_limit` or use less memory",
                )
            )
    return found


class StatsSampler:
    """One thread samples the running containers round-robin at `interval()` seconds per container."""

    def __init__(
        self,
        running: Callable[[], list[str]],
        interval: Callable[[], float],
        deliver: Callable[[str, Usage], None],
        round_done: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._running = running
        self._interval = interval
        self._deliver = deliver
        self._round_done = round_done
        self._loop = loop
        self._stop = threading.Event()
        self._previous: dict[str, Usage] = {}
        self._one_shot = True

    def start(self) -> None:
        threading.Thread(target=self._run, name="dockhand-stats", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _post(self, fn: Callable[..., None], *args: object) -> None:
        if not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(fn, *args)

    def _run(self) -> None:
        import docker.errors  # here, not at the top: the docker SDK (and requests) loads when sampling starts

        client: docker.DockerClient | None = None
        while not self._stop.is_set():
            interval = self._interval()
            ids = self._running() if interval > 0 else []
            if not ids:
                self._stop.wait(min(interval, 2.0) if interval > 0 else 2.0)
                continue
            gap = interval / len(ids)
            try:
                client = client or contexts.engine_client(timeout=10)  # the engine the watcher uses
                for cid in ids:
                    began = time.monotonic()
                    self._sample(client, cid)
                    if self._stop.wait(max(gap - (time.monotonic() - began), 0.0)):
                        return
            except (docker.errors.DockerException, OSError) as exc:  # the engine went away: the watcher reports it
                logger.debug("stats sampling paused: %s", exc)
                with contextlib.suppress(Exception):
                    client.close()  # type: ignore[union-attr]
                client = None
                self._stop.wait(interval)
            self._previous = {cid: u for cid, u in self._previous.items() if cid in ids}
            self._post(self._round_done)

    def _sample(self, client: docker.DockerClient, container_id: str) -> None:
        import docker.errors

        try:
            if self._one_shot:
                raw = client.api.stats(container_id, stream=False, one_shot=True)
            else:  # an engine older than API 1.41: it waits for a second sample (about a second) before answering
                raw = client.api.stats(container_id, stream=False)
        except docker.errors.InvalidVersion:
            self._one_shot = False
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:  # e.g. the container stopped meanwhile
            logger.debug("stats of %s: %s", container_id[:12], exc)
            return
        usage = usage_from_stats(raw, self._previous.get(container_id), time.time())
        self._previous[container_id] = usage
        self._post(self._deliver, container_id, usage)

"""Resource use from the engine's stats JSON (a real one-shot answer captured here), sparklines and the words."""

from __future__ import annotations

import json
from pathlib import Path

from dockhand.runtime.resources import (
    ResourceBook,
    Usage,
    card_line,
    memory_findings,
    near_limit,
    short_line,
    size,
    sparkline,
    usage_from_stats,
)
from dockhand.runtime.state import ContainerInfo, EngineStatus, StateStore

RAW = json.loads((Path(__file__).resolve().parents[1] / "data" / "stats" / "oneshot_cgroup_v1.json").read_text())


def test_a_real_one_shot_answer_becomes_usage() -> None:
    """`stats?stream=false&one-shot=true` of a busybox container with `--memory 64m` (cgroup v1, engine 20.10)."""
    u = usage_from_stats(RAW, None, 100.0)
    assert u.cpu_percent is None  # one sample: no CPU % yet (one-shot leaves precpu empty)
    assert u.mem_limit == 64 * 1024 * 1024
    assert u.mem_used == 856064 - 204800  # usage without the inactive page cache, as `docker stats` shows
    assert (u.net_rx, u.net_tx) == (646, 0)
    assert u.online_cpus == 2


def test_cpu_percent_comes_from_two_own_samples() -> None:
    first = usage_from_stats(RAW, None, 100.0)
    later = json.loads(json.dumps(RAW))
    later["cpu_stats"]["cpu_usage"]["total_usage"] += 500_000_000  # half a second of CPU …
    later["cpu_stats"]["system_cpu_usage"] += 2_000_000_000  # … in one second of two cores
    second = usage_from_stats(later, first, 101.0)
    assert second.cpu_percent == 50.0  # half of one core, as `docker stats` would say


def test_cgroup_v2_memory_and_block_io() -> None:
    raw = {
        "memory_stats": {"usage": 10_000, "limit": 20_000, "stats": {"inactive_file": 1_000}},
        "blkio_stats": {"io_service_bytes_recursive": [{"op": "read", "value": 7}, {"op": "write", "value": 9}]},
        "networks": {"eth0": {"rx_bytes": 1, "tx_bytes": 2}, "eth1": {"rx_bytes": 10, "tx_bytes": 20}},
    }
    u = usage_from_stats(raw, None, 0.0)
    assert (u.mem_used, u.blk_read, u.blk_write, u.net_rx, u.net_tx) == (9_000, 7, 9, 11, 22)
    assert near_limit(u) is False
    assert usage_from_stats({}, None, 0.0).mem_limit == 0  # an empty answer is no crash
    # /dev/shm is page cache but cannot be dropped: with no inactive file pages, all of `usage` is in use.
    shm = {
        "memory_stats": {
            "usage": 15_000_000,
            "limit": 16_000_000,
            "stats": {"cache": 14_000_000, "total_inactive_file": 0},
        }
    }
    assert usage_from_stats(shm, None, 0.0).mem_used == 15_000_000


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▁▁▁"
    assert sparkline([]) == ""
    assert len(sparkline(list(range(100)), width=20)) == 20


def test_words_for_the_tree_and_the_hover() -> None:
    a = Usage(0.0, None, 10 * 1024**2, 64 * 1024**2, 1536, 0, 0, 4096)
    b = Usage(120.0, 12.34, 20 * 1024**2, 64 * 1024**2, 2048, 512, 0, 8192)
    assert size(512) == "512 B" and size(1536) == "1.5 KiB" and size(3 * 1024**3) == "3.0 GiB"
    assert short_line(b) == "12.3% · 20.0 MiB/64.0 MiB"
    text = card_line([a, b])
    assert text.startswith("CPU 12.3 % · memory 20.0 MiB / 64.0 MiB (31 %) · net ↓ 2.0 KiB ↑ 512 B")
    assert "last 2 min: CPU `▁` · memory `▁█`" in text


def test_near_the_memory_limit_is_a_finding_once_crossed() -> None:
    book = ResourceBook()
    assert book.add("c1", Usage(0.0, 1.0, 50, 100, 0, 0, 0, 0)) is False
    assert book.add("c1", Usage(1.0, 1.0, 95, 100, 0, 0, 0, 0)) is True  # crossed: diagnostics must change
    assert book.add("c1", Usage(2.0, 1.0, 96, 100, 0, 0, 0, 0)) is False
    store = StateStore()
    store.replace_all([ContainerInfo("c1", "p-web-1", "p", "web", state="running")], EngineStatus("up"))
    [(service, message)] = memory_findings(book, store.snapshot, "p")
    assert service == "web" and message.startswith("`web` uses 96 % of its memory limit (96 B of 100 B)")
    book.keep_only([])
    assert book.latest("c1") is None and memory_findings(book, store.snapshot, "p") == []

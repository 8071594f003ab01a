"""Opt-in heap diagnostics: tracemalloc snapshots of the running server, written to a folder every few minutes.

`DOCKHAND_HEAP_SNAPSHOTS_DIR=/tmp/heap` starts tracemalloc (tracebacks HEAP_TRACE_DEPTH frames deep) when the
server starts and writes `heap-<seconds since start>.pickle` plus a line of `heap.jsonl` (RSS, what tracemalloc
holds, glibc malloc's own view) every `DOCKHAND_HEAP_SNAPSHOT_EVERY_S`. tracemalloc slows allocation-heavy code
several fold: this is for finding a leak (compare two snapshots with `bench/heap_diff.py`), never for figures.
Only Python's allocators are traced: memory SQLite or libyaml take with malloc shows in `heap.jsonl`'s malloc
figures and RSS, not in the snapshots — the gap between the two says which side grows.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import json
import logging
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dockhand.errors import DiagnosticError
from dockhand.malloc import libc

logger = logging.getLogger("dockhand.observe")

HEAP_TRACE_DEPTH = 10
"""Frames kept per allocation: enough to reach the caller that owns a buffer through helpers and dataclasses."""


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")
    ]  # fmt: skip


@functools.cache
def _mallinfo2() -> Any:
    lib = libc()
    mallinfo2 = getattr(lib, "mallinfo2", None)  # not glibc, or older than 2.33
    if mallinfo2 is None:
        return None
    mallinfo2.restype = _MallInfo2
    return mallinfo2


def malloc_figures() -> dict[str, int]:
    """glibc's mallinfo2 over all arenas: bytes in use, free but held (fragmentation: RSS that no object uses),
    mmapped; {} where it is not glibc. Python objects live in pymalloc's own arenas (not counted here) when small."""
    mallinfo2 = _mallinfo2()
    if mallinfo2 is None:
        return {}
    info = mallinfo2()
    return {"arena": info.arena, "in_use": info.uordblks, "free": info.fordblks, "mmapped": info.hblkhd}


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def figures(started: float) -> dict[str, Any]:
    """One line of heap.jsonl."""
    traced, peak = tracemalloc.get_traced_memory()
    return {
        "t": round(time.monotonic() - started, 1),
        "rss": rss_bytes(),
        "traced": traced,
        "traced_peak": peak,
        "blocks": sys.getallocatedblocks(),
        "gc": [len(gc.get_objects(generation)) for generation in range(3)],
        "malloc": malloc_figures(),
    }


def start_from_environment(environ: Mapping[str, str] = os.environ) -> threading.Thread | None:
    """Start the snapshots when DOCKHAND_HEAP_SNAPSHOTS_DIR names a folder. Environment only, on purpose: they
    must run from the process's first moment, before any editor setting arrives, and slow the server down."""
    directory = environ.get("DOCKHAND_HEAP_SNAPSHOTS_DIR", "")
    if not directory:
        return None
    raw = environ.get("DOCKHAND_HEAP_SNAPSHOT_EVERY_S", "300")
    try:
        every_s = float(raw)
    except ValueError:
        every_s = 0.0
    if not every_s >= 1:
        raise DiagnosticError(
            f"DOCKHAND_HEAP_SNAPSHOT_EVERY_S={raw!r} is not a number of seconds ≥ 1",
            "set it to the seconds between two heap snapshots, e.g. 300, or unset it",
        )
    return start(directory, every_s)


def start(directory: str, every_s: float) -> threading.Thread | None:
    """Start tracemalloc and a daemon thread that writes a snapshot every `every_s` (no-op without a folder)."""
    if not directory:
        return None
    folder = Path(directory).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    tracemalloc.start(HEAP_TRACE_DEPTH)
    started = time.monotonic()

    def loop() -> None:
        while True:
            time.sleep(every_s)
            try:
                line = figures(started)
                tracemalloc.take_snapshot().dump(str(folder / f"heap-{int(line['t']):06d}.pickle"))
                with open(folder / "heap.jsonl", "a") as out:
                    out.write(json.dumps(line) + "\n")
            except Exception as exc:  # a full disk must not take the server down
                logger.warning("heap snapshot failed: %s", exc)

    thread = threading.Thread(target=loop, name="heap-snapshots", daemon=True)
    thread.start()
    logger.info("heap snapshots every %.0f s into %s (tracemalloc on: slower)", every_s, folder)
    return thread

"""What grew between two heap snapshots of the server (DOCKHAND_HEAP_SNAPSHOTS_DIR), by allocation site.

Run: `.venv/bin/python bench/heap_diff.py /tmp/heap/heap-000600.pickle /tmp/heap/heap-001200.pickle [--top 25]`.
Prints the largest growths grouped by full traceback (the innermost Dockhand frames shown first), then by the
innermost line, and the heap.jsonl figures (RSS against what tracemalloc sees, glibc's arena) of the folder.
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from pathlib import Path

OURS = ("dockhand", "pygls", "lsprotocol", "sqlite3", "json", "docker", "httpx", "asyncio")


def frames(stat: tracemalloc.StatisticDiff, depth: int) -> list[str]:
    """The traceback's frames, innermost first, shortened to package/file:line."""
    out = []
    for frame in stat.traceback:  # most recent call first
        name = frame.filename
        for marker in ("/site-packages/", "/server/", "/lib/python3"):
            if marker in name:
                name = name.split(marker, 1)[1]
                break
        out.append(f"{name}:{frame.lineno}")
    return out[:depth]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--depth", type=int, default=10)
    args = parser.parse_args()
    before = tracemalloc.Snapshot.load(args.before)
    after = tracemalloc.Snapshot.load(args.after)
    total_before = sum(s.size for s in before.statistics("filename"))
    total_after = sum(s.size for s in after.statistics("filename"))
    print(
        f"traced: {total_before / 2**20:.2f} → {total_after / 2**20:.2f} MB ({(total_after - total_before) / 2**20:+.2f})"
    )
    print(f"\n== growth by full traceback (top {args.top}) ==")
    for stat in after.compare_to(before, "traceback")[: args.top]:
        print(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+8d} blocks (now {stat.size / 1024:.0f} KiB)")
        for line in frames(stat, args.depth):
            print(f"      {line}")
    print(f"\n== growth by innermost line (top {args.top}) ==")
    for stat in after.compare_to(before, "lineno")[: args.top]:
        print(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+8d} blocks  {frames(stat, 1)[0]}")
    jsonl = Path(args.after).parent / "heap.jsonl"
    if jsonl.exists():
        print("\n== heap.jsonl: t s, RSS MB, traced MB, blocks, glibc in-use / free / mmapped MB ==")
        for raw in jsonl.read_text().splitlines():
            line = json.loads(raw)
            m = line.get("malloc", {})
            print(
                f"{line['t']:7.0f} {line['rss'] / 2**20:7.1f} {line['traced'] / 2**20:7.1f} {line['blocks']:9d} "
                f"{m.get('in_use', 0) / 2**20:7.1f} {m.get('free', 0) / 2**20:7.1f} {m.get('mmapped', 0) / 2**20:7.1f}"
            )


if __name__ == "__main__":
    main()

"""dockhand.malloc: a server that starts threads all day keeps to few glibc arenas (the soak's last creep)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dockhand import malloc

# Eight threads allocate at once through glibc malloc; the child counts the arenas' 64 MiB heaps in its own maps
# (a thread arena is an anonymous mapping aligned to 64 MiB on 64-bit glibc).
PROBE = textwrap.dedent(
    """
    import sys, threading
    from dockhand import malloc
    if sys.argv[1] == "limited":
        assert malloc.limit_arenas()
    barrier = threading.Barrier(9)
    keep = []
    def work():
        keep.append([bytes(2000) for _ in range(200)])  # over 512 bytes: glibc malloc, not pymalloc
        barrier.wait()
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    barrier.wait()
    arenas = 0
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            start = int(fields[0].split("-")[0], 16)
            if len(fields) == 5 and start % (64 << 20) == 0 and fields[1].startswith("rw"):
                arenas += 1
    print(arenas)
    for t in threads:
        t.join()
    """
)


def thread_arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True)
    return int(done.stdout)


@pytest.mark.skipif(malloc.libc() is None, reason="glibc only: elsewhere limit_arenas does nothing by design")
def test_threads_share_one_arena_once_limited() -> None:
    assert thread_arenas("default") > 1  # the probe sees glibc's per-thread arenas: it can tell the difference
    assert thread_arenas("limited") <= malloc.ARENA_MAX - 1

"""glibc malloc settings for a server that stays up all day: few arenas, and free pages handed back to the system.

glibc gives each new thread its own malloc arena (up to 8 per core). The OTLP receiver serves each connection on a
thread of its own, and exporters that open a connection per export make a stream of short-lived threads: their
arenas kept freed memory that no object used, a slow RSS creep under real traffic (the soak's last open rise).
Elsewhere than glibc both calls do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

ARENA_MAX = 2
"""Malloc arenas at most: the main one and one that every other thread shares (glibc's M_ARENA_MAX)."""
_M_ARENA_MAX = -8  # from glibc's malloc.h


@functools.cache
def libc() -> Any:
    """The C library when it is glibc (it has malloc_trim), else None."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        lib.malloc_trim  # noqa: B018 - only glibc has it
    except (OSError, AttributeError):
        return None
    return lib


def limit_arenas(arenas: int = ARENA_MAX) -> bool:
    """Cap glibc's malloc arenas; call before threads start. True when the C library took the setting."""
    lib = libc()
    return bool(lib is not None and lib.mallopt(_M_ARENA_MAX, arenas))


def release_free_memory() -> None:
    """Give freed pages at the top and inside every arena back to the system (milliseconds on this server's heap)."""
    lib = libc()
    if lib is not None:
        lib.malloc_trim(0)

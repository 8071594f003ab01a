"""Who holds a host port: the engine's bind error parsed, then /proc/net/tcp{,6} and /proc/*/fd read (Linux only).

The parsing functions are pure and take the text of those files; `describe_holders` does the reading, and only
after a container failed to publish a port, never on a request's path. A process in another PID namespace, or
one this user may not look into, is simply not named.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LISTEN = "0A"
"""The TCP state `LISTEN` in /proc/net/tcp."""
_BIND_FAILURES = (
    # Docker's userland proxy could not listen: a process outside Docker holds the port.
    re.compile(r"listen (?:tcp|udp)[46]? (?P<ip>\[?[0-9a-fA-F.:]*\]?):(?P<port>\d+): bind: address already in use"),
    # The engine's own allocator: another container already publishes the port.
    re.compile(r"Bind for (?P<ip>\[?[0-9a-fA-F.:]*\]?):(?P<port>\d+) failed: port is already allocated"),
)
_SOCKET_LINK = re.compile(r"^socket:\[(\d+)\]$")


@dataclass(frozen=True)
class ListeningSocket:
    """One row of /proc/net/tcp{,6}: the local address, port, TCP state and the socket's inode."""

    ip: str
    port: int
    state: str
    inode: int


def bind_failure(error: str) -> tuple[str, int] | None:
    """(host ip, port) from an engine error that says a published port could not be bound, else None."""
    for pattern in _BIND_FAILURES:
        match = pattern.search(error)
        if match:
            return match["ip"].strip("[]"), int(match["port"])
    return None


def allocated_by_docker(error: str) -> bool:
    """Whether the port is taken by another container (Docker's allocator said so), not by an outside process."""
    return "port is already allocated" in error


def _hex_ip(text: str) -> str:
    """The address of /proc/net/tcp{,6}: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(text)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return ".".join(str(b) for b in words)
    if words[:12] == b"\0" * 10 + b"\xff\xff":  # an IPv4-mapped IPv6 address
        return ".".join(str(b) for b in words[12:])
    groups = [f"{int.from_bytes(words[i : i + 2], 'big'):x}" for i in range(0, 16, 2)]
    return ":".join(groups) if any(g != "0" for g in groups) else "::"


def parse_net_tcp(text: str) -> list[ListeningSocket]:
    """The sockets of a /proc/net/tcp or /proc/net/tcp6 text (the header line and malformed rows are skipped)."""
    found: list[ListeningSocket] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or ":" not in fields[1]:
            continue
        address, _, port = fields[1].rpartition(":")
        with contextlib.suppress(ValueError):
            found.append(ListeningSocket(_hex_ip(address), int(port, 16), fields[3], int(fields[9])))
    return found


def listeners_on(sockets: Iterable[ListeningSocket], port: int) -> list[ListeningSocket]:
    """The sockets listening on `port` (any address)."""
    return [s for s in sockets if s.port == port and s.state == LISTEN]


def socket_inode(link: str) -> int | None:
    """The inode of an fd link `socket:[12345]`, else None."""
    match = _SOCKET_LINK.match(link)
    return int(match[1]) if match else None


def describe_process(pid: int, comm: str, cmdline: bytes) -> str:
    """`python3 (pid 4242: python3 -m http.server 8080)` from /proc/PID/comm and /proc/PID/cmdline."""
    args = " ".join(a.decode("utf-8", "replace") for a in cmdline.split(b"\0") if a)
    args = args if len(args) <= 120 else args[:119] + "…"
    return f"{comm.strip() or '?'} (pid {pid}{': ' + args if args else ''})"


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def owners(inodes: set[int], proc_root: str = "/proc") -> Mapping[int, int]:
    """inode → pid of the processes that hold those sockets (the processes this user may look into)."""
    found: dict[int, int] = {}
    for entry in os.scandir(proc_root):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"{entry.path}/fd"):
                with contextlib.suppress(OSError):
                    inode = socket_inode(os.readlink(fd.path))
                    if inode in inodes:
                        found.setdefault(inode, int(entry.name))
        if len(found) == len(inodes):
            break
    return found


def describe_holders(port: int, proc_root: str = "/proc") -> tuple[str, ...]:
    """Who listens on TCP `port` here, as `comm (pid N: cmdline)`; empty when nothing visible does."""
    sockets: list[ListeningSocket] = []
    for name in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            sockets += parse_net_tcp(_read(f"{proc_root}/net/{name}").decode("ascii", "replace"))
    inodes = {s.inode for s in listeners_on(sockets, port) if s.inode}
    if not inodes:
        return ()
    described: list[str] = []
    for pid in sorted(set(owners(inodes, proc_root).values())):
        with contextlib.suppress(OSError):
            comm = _read(f"{proc_root}/{pid}/comm").decode("utf-8", "replace")
            described.append(describe_process(pid, comm, _read(f"{proc_root}/{pid}/cmdline")))
    return tuple(described)

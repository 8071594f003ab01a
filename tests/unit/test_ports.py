"""Who holds a host port: /proc/net/tcp{,6} parsing on text captured from this machine, and the live lookup."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from dockhand.runtime.ports import (
    bind_failure,
    describe_holders,
    describe_process,
    listeners_on,
    parse_net_tcp,
    socket_inode,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "proc"


def test_real_proc_net_tcp_text_is_parsed() -> None:
    """Captured while a listener held 127.0.0.1:38999 (inode 107978) and [::1]:38998 (inode 107979)."""
    v4 = parse_net_tcp((DATA / "net_tcp.txt").read_text())
    assert len(v4) == 10  # the header is skipped
    [held] = listeners_on(v4, 38999)
    assert (held.ip, held.port, held.inode) == ("127.0.0.1", 38999, 107978)
    assert any(s.ip == "0.0.0.0" and s.port == 2024 for s in v4)
    established = [s for s in v4 if s.state == "01"]
    assert established and not listeners_on(established, established[0].port)
    [v6] = listeners_on(parse_net_tcp((DATA / "net_tcp6.txt").read_text()), 38998)
    assert (v6.ip, v6.inode) == ("0:0:0:0:0:0:0:1", 107979)


def test_malformed_rows_are_skipped() -> None:
    assert parse_net_tcp("header\n garbage\n 1: ZZ:QQ 0 0A\n") == []


def test_engine_bind_errors_give_the_port() -> None:
    outside = "Error starting userland proxy: listen tcp4 127.0.0.1:38123: bind: address already in use"
    assert bind_failure(outside) == ("127.0.0.1", 38123)
    assert bind_failure("Bind for 0.0.0.0:8080 failed: port is already allocated") == ("0.0.0.0", 8080)
    assert bind_failure("listen tcp6 [::1]:9000: bind: address already in use") == ("::1", 9000)
    assert bind_failure("no such image") is None


def test_fd_links_and_process_descriptions() -> None:
    assert socket_inode("socket:[107978]") == 107978
    assert socket_inode("/dev/null") is None
    assert (
        describe_process(42, "python3\n", b"python3\0-m\0http.server\0") == "python3 (pid 42: python3 -m http.server)"
    )


def test_the_listening_process_is_found_in_the_real_proc() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        holders = describe_holders(port)
    assert len(holders) == 1 and f"(pid {os.getpid()}: " in holders[0]
    assert describe_holders(port) == ()  # closed: nobody holds it any more

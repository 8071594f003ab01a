"""The ssh bridge's local socket (runtime/ssh_bridge) with a stand-in for `ssh … docker system dial-stdio`: a shell
that says its pid, then echoes what it reads. The real ssh path is tested on the rig (tests/swarm/test_ssh_context)."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator

import pytest

from dockhand.runtime.ssh_bridge import SshBridge, ssh_argv

STAND_IN = ["sh", "-c", "echo $$; exec cat"]


@pytest.fixture
def bridge() -> Iterator[SshBridge]:
    started = SshBridge("ssh://unused", argv=STAND_IN)
    started.start()
    yield started
    started.close()


def _spare_pid(bridge: SshBridge, other_than: int = 0) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        spare = bridge._spare
        if spare is not None and spare.pid != other_than:
            return spare.pid
        time.sleep(0.01)
    raise AssertionError("no spare process was started")


def _connect(bridge: SshBridge) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(10)
    conn.connect(bridge.path)
    return conn


def _line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1024)
        assert chunk, "the bridge closed the connection"
        data += chunk
    return data.decode().strip()


def test_a_connection_is_served_by_the_process_started_ahead_and_a_new_one_is_started(bridge: SshBridge) -> None:
    spare = _spare_pid(bridge)
    with contextlib.closing(_connect(bridge)) as conn:
        assert int(_line(conn)) == spare  # started before the connection came: nothing to wait for
        conn.sendall(b"GET /_ping\n")
        assert _line(conn) == "GET /_ping"  # bytes pumped both ways
        assert _spare_pid(bridge, other_than=spare) != spare  # the next one is already on its way


def test_a_spare_that_died_while_waiting_is_replaced(bridge: SshBridge) -> None:
    spare = _spare_pid(bridge)
    os.kill(spare, 9)  # as when the link was cut while it waited
    with contextlib.closing(_connect(bridge)) as conn:
        served = int(_line(conn))
        assert served != spare
        conn.sendall(b"ok\n")
        assert _line(conn) == "ok"


def test_closing_ends_every_process() -> None:
    bridge = SshBridge("ssh://unused", argv=STAND_IN)
    bridge.start()
    spare = _spare_pid(bridge)
    conn = _connect(bridge)
    _line(conn)
    bridge.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.exists(f"/proc/{spare}") and _alive(spare):
        time.sleep(0.05)
    assert not _alive(spare)
    conn.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_the_ssh_command_never_prompts_and_names_user_and_port() -> None:
    argv = ssh_argv("ssh://deploy@build.example:2222")
    assert argv[:3] == ["ssh", "-o", "BatchMode=yes"]
    assert argv[argv.index("-l") + 1] == "deploy" and argv[argv.index("-p") + 1] == "2222"
    assert argv[-5:] == ["--", "build.example", "docker", "system", "dial-stdio"]

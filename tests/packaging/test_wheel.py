"""The Python package as a Neovim (or any LSP editor) user installs it: `python -m build`'s wheel installed into an
empty venv gives a `dockhand` command that speaks LSP on stdio and on `--tcp`; the sdist carries the C composer's
source and still builds when it cannot be compiled.

scripts/build-python-dist builds dist/ (skipped when up to date) and downloads the dependencies' wheels into
dist/wheelhouse, so the install here is offline (`--no-index --find-links`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"


@pytest.fixture(scope="module")
def dist() -> Path:
    subprocess.run([str(ROOT / "scripts" / "build-python-dist")], check=True, capture_output=True)
    return DIST


def wheel_of(folder: Path) -> Path:
    (wheel,) = folder.glob("dockhand-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty venv (no pip, nothing of ours) with the wheel installed into it by the project's pip."""
    venv = tmp_path_factory.mktemp("user-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import pygls"], capture_output=True).returncode != 0
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q"]
    offline = ["--no-index", "--find-links", str(dist / "wheelhouse")]
    subprocess.run([*pip, *offline, str(wheel_of(dist))], check=True, capture_output=True)
    return venv / "bin" / "dockhand"


def user_env(tmp: Path) -> dict[str, str]:
    """A user's environment: own HOME, the receiver off (no port to share with other tests)."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "DOCKHAND_OTLP_PORT": "0"}


def send(stream: IO[bytes], message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    stream.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    stream.flush()


def answer_to(stream: IO[bytes], request_id: int) -> dict[str, Any]:
    """Read frames until the response to `request_id` (notifications and server requests are skipped)."""
    while True:
        headers: dict[str, str] = {}
        while (line := stream.readline().decode().strip()) != "":
            key, _, value = line.partition(":")
            headers[key.lower()] = value.strip()
        assert headers, "the server closed the stream"
        message: dict[str, Any] = json.loads(stream.read(int(headers["content-length"])))
        if message.get("id") == request_id and "method" not in message:
            return message


def handshake(reader: IO[bytes], writer: IO[bytes], root: Path) -> dict[str, Any]:
    """initialize → initialized → shutdown → exit; the initialize result."""
    params = {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}, "workspaceFolders": None}
    send(writer, {"id": 1, "method": "initialize", "params": params})
    result: dict[str, Any] = answer_to(reader, 1)["result"]
    send(writer, {"method": "initialized", "params": {}})
    send(writer, {"id": 2, "method": "shutdown"})
    assert answer_to(reader, 2)["result"] is None
    send(writer, {"method": "exit"})
    return result


def test_the_sdist_carries_the_c_source_and_the_wheel_the_command(dist: Path) -> None:
    (sdist,) = dist.glob("dockhand-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"server/dockhand/compose/_fastcompose.c", "pyproject.toml", "server/dockhand/__main__.py"} <= names
    with zipfile.ZipFile(wheel_of(dist)) as wheel:
        entry_points = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
        assert "dockhand = dockhand.__main__:main" in wheel.read(entry_points).decode()
        # Built here with gcc and libyaml's headers (scripts/setup installs them): the C composer is in.
        assert any(n.startswith("dockhand/compose/_fastcompose.") and n.endswith(".so") for n in wheel.namelist())


def test_the_installed_command_speaks_lsp_on_stdio(installed: Path, tmp_path: Path) -> None:
    assert subprocess.run([str(installed), "--version"], capture_output=True, text=True).stdout.startswith("dockhand")
    server = subprocess.Popen(
        [str(installed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=user_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    result = handshake(server.stdout, server.stdin, tmp_path)
    assert result["serverInfo"]["name"].lower().startswith("dockhand")
    assert result["capabilities"]["hoverProvider"]
    assert server.wait(timeout=30) == 0


@pytest.fixture
def tcp_server(installed: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        [str(installed), "--tcp", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL, env=user_env(tmp_path), cwd=tmp_path
    )
    yield server, port
    if server.poll() is None:
        server.kill()
        server.wait()


def test_the_installed_command_speaks_lsp_on_tcp(
    tcp_server: tuple[subprocess.Popen[bytes], int], tmp_path: Path
) -> None:
    server, port = tcp_server
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=60)
            break
        except ConnectionRefusedError:
            assert server.poll() is None and time.monotonic() < deadline, "dockhand --tcp never listened"
            time.sleep(0.2)
    with connection, connection.makefile("rb") as reader, connection.makefile("wb") as writer:
        result = handshake(reader, writer, tmp_path)
    assert result["capabilities"]["hoverProvider"]


def test_the_sdist_builds_without_a_c_compiler(dist: Path, tmp_path: Path) -> None:
    """A user without gcc or libyaml's headers still gets a wheel: the C composer is optional (pure-Python path)."""
    (sdist,) = dist.glob("dockhand-*.tar.gz")
    env = {**os.environ, "CC": "/bin/false"}  # every compile fails, as on a machine without a compiler
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(tmp_path), str(sdist)],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    with zipfile.ZipFile(wheel_of(tmp_path)) as wheel:
        names = wheel.namelist()
    assert "dockhand/compose/document.py" in names
    assert not [n for n in names if "_fastcompose" in n and n.endswith(".so")], names

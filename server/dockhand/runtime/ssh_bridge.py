"""An ssh:// engine as a private local unix socket: each connection to it is one `ssh HOST docker system dial-stdio`
(the Docker CLI's own transport), with bytes pumped both ways as soon as they arrive.

Why not the SDK's ssh transport: it reads the ssh process's pipe with a buffered `read(n)` that waits for n bytes,
so an event sits in the pipe until later events fill the buffer (about a second behind on a quiet stack), and it has
no timeout, so a cut link hangs the reader for good. Over this socket the SDK keeps its usual timeouts and gets every
byte at once. The socket lives in a 0700 folder of its own; only this user can connect.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from urllib.parse import urlsplit

logger = logging.getLogger("dockhand.ssh")

CHUNK = 1 << 16


def ssh_argv(url: str) -> list[str]:
    """`ssh … HOST docker system dial-stdio` for an ssh://[user@]host[:port] URL (never prompts: BatchMode)."""
    parts = urlsplit(url)
    if parts.scheme != "ssh" or not parts.hostname:
        raise ValueError(f"not an ssh:// engine address: {url}")
    argv = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-T"]
    if parts.username:
        argv += ["-l", parts.username]
    if parts.port:
        argv += ["-p", str(parts.port)]
    return [*argv, "--", parts.hostname, "docker", "system", "dial-stdio"]


class SshBridge:
    """`start()` → the unix:// URL to give the SDK; `close()` ends the listener and every ssh process."""

    def __init__(self, url: str) -> None:
        self.argv = ssh_argv(url)
        self._folder = tempfile.mkdtemp(prefix="dockhand-ssh-")  # mkdtemp makes it 0700
        self.path = os.path.join(self._folder, "docker.sock")
        self._listener: socket.socket | None = None
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def start(self) -> str:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, name="dockhand-ssh-accept", daemon=True).start()
        return f"unix://{self.path}"

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(conn,), name="dockhand-ssh-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
                [*self.argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0
            )
        except OSError as exc:
            logger.warning("cannot run ssh: %s", exc)
            conn.close()
            return
        with self._lock:
            self._procs.add(proc)
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def upstream() -> None:  # the SDK's requests → ssh
            with contextlib.suppress(OSError):
                while data := conn.recv(CHUNK):
                    stdin.write(data)
            with contextlib.suppress(OSError):
                stdin.close()
            # The SDK hung up (done, or gave up on a cut link): let ssh finish briefly, then end it so the reader
            # below sees EOF instead of waiting on a dead link.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=3)
            if proc.poll() is None:
                proc.terminate()

        threading.Thread(target=upstream, name="dockhand-ssh-up", daemon=True).start()
        try:  # ssh → the SDK, each read handed on at once (os.read returns what is there)
            while data := os.read(stdout.fileno(), CHUNK):
                conn.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
            self._end(proc)

    def _end(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)
        if proc.poll() is None:
            proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.returncode not in (0, None, -15):
            logger.debug("`%s` ended with exit code %s", " ".join(self.argv), proc.returncode)

    def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(OSError):
                proc.terminate()
        shutil.rmtree(self._folder, ignore_errors=True)

"""An ssh:// engine as a private local unix socket: each connection to it is one `ssh HOST docker system dial-stdio`
(the Docker CLI's own transport), with bytes pumped both ways as soon as they arrive.

One such process is always started ahead (a spare): ssh's handshake and the remote `docker` start take 0.2-1.5 s, and
the SDK opens a pooled connection when requests overlap (an event's inspect while another call is under way), so
without the spare that event would wait for it. A spare found dead (the link was cut) is replaced at once.

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

    def __init__(self, url: str, argv: list[str] | None = None) -> None:
        self.argv = argv if argv is not None else ssh_argv(url)
        self._folder = tempfile.mkdtemp(prefix="dockhand-ssh-")  # mkdtemp makes it 0700
        self.path = os.path.join(self._folder, "docker.sock")
        self._listener: socket.socket | None = None
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._spare: subprocess.Popen[bytes] | None = None
        self._closed = False

    def start(self) -> str:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, name="dockhand-ssh-accept", daemon=True).start()
        self._refill()
        return f"unix://{self.path}"

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
                [*self.argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0
            )
        except OSError as exc:
            logger.warning("cannot run ssh: %s", exc)
            return None
        with self._lock:
            self._procs.add(proc)
        return proc

    def _refill(self) -> None:
        """Start the next spare (in a thread of its own: the caller does not wait for it)."""

        def run() -> None:
            proc = self._spawn()
            with self._lock:
                if self._closed or self._spare is not None or proc is None:
                    extra, proc = proc, None
                else:
                    self._spare, extra = proc, None
            if extra is not None:
                self._end(extra)

        threading.Thread(target=run, name="dockhand-ssh-spare", daemon=True).start()

    def _take(self) -> subprocess.Popen[bytes] | None:
        """The spare if it is still alive (else a new process), and a new spare started behind it."""
        with self._lock:
            proc, self._spare = self._spare, None
        if proc is not None and proc.poll() is not None:  # it died waiting (a cut link, an engine restart)
            self._end(proc)
            proc = None
        self._refill()
        return proc if proc is not None else self._spawn()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(conn,), name="dockhand-ssh-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        proc = self._take()
        if proc is None:
            conn.close()
            return
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
        with self._lock:
            self._closed = True
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(OSError):
                proc.terminate()
        shutil.rmtree(self._folder, ignore_errors=True)

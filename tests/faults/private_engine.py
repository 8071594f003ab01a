"""A private Docker Engine for outage tests: its own socket, data-root, exec-root and pidfile, no bridge, no
iptables — so stopping it never touches the shared engine or anyone else's containers."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import docker.errors

import docker


class PrivateEngine:
    """`start()`, `stop()` (SIGTERM, like an admin stopping the service), `start()` again, `destroy()` at the end."""

    def __init__(self) -> None:
        # A short path: a unix socket path must stay under 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="dh-engine-", dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.log = self.root / "dockerd.log"
        self._process: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        dockerd = shutil.which("dockerd")
        assert dockerd, "dockerd is not installed: run scripts/setup"
        # Its own network namespace: a dockerd started with --bridge=none deletes the host's docker0 otherwise,
        # which cuts every container of the shared engine off from host.docker.internal.
        return [
            "unshare",
            "--net",
            dockerd,
            f"--host={self.host}",
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.root / 'exec'}",
            f"--pidfile={self.root / 'docker.pid'}",
            "--bridge=none",
            "--iptables=false",
            "--ip-masq=false",
            "--ip-forward=false",
            f"--cgroup-parent={self.root.name}",
            "--shutdown-timeout=2",
        ]

    def start(self, within: float = 60) -> float:
        """Start dockerd and wait until it answers; the seconds it took."""
        started = time.monotonic()
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
            )
        while time.monotonic() - started < within:
            if self._process.poll() is not None:
                raise RuntimeError(f"private dockerd exited: {self.log.read_text()[-2000:]}")
            with (
                contextlib.suppress(docker.errors.DockerException),
                contextlib.closing(self.client(timeout=2)) as probe,
            ):
                probe.ping()
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"private dockerd did not answer within {within} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM and wait for the exit (containers are stopped by dockerd on the way down)."""
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def client(self, timeout: int = 30) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=timeout)

    def load_image(self, source: docker.DockerClient, name: str) -> None:
        """Copy a local image from the shared engine (nothing can be pulled here)."""
        with contextlib.closing(self.client(timeout=120)) as target:
            target.images.load(b"".join(source.images.get(name).save(named=True)))

    def destroy(self) -> None:
        """Remove every container, stop the engine and delete its folders."""
        if self.running:
            with contextlib.suppress(docker.errors.DockerException), contextlib.closing(self.client()) as engine:
                for container in engine.containers.list(all=True):
                    container.remove(force=True, v=True)
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

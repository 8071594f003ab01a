"""A tiny stdio JSON-RPC LSP client for benchmarks: timestamps every message the moment it arrives.

A full client library (pygls, vscode-languageclient) would add its own parsing and dispatch cost to every figure
and would treat the three servers differently; this one reads frames, answers the few server→client requests a
server waits on (workspace/configuration, registerCapability, workDoneProgress/create) and hands the rest to the
benchmark with a `time.perf_counter()` stamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

Json = Any
ConfigurationAnswer = Callable[[dict[str, Any]], Json]


class LspProcess:
    """One language server subprocess and the client side of its stdio connection."""

    def __init__(
        self,
        argv: list[str],
        configuration: ConfigurationAnswer | None = None,
        env: dict[str, str] | None = None,
        on_stderr: Callable[[str], None] | None = None,
    ) -> None:
        self.argv = argv
        self.env = env
        self._on_stderr = on_stderr
        """Called with every line the server writes to stderr (its log), as it arrives."""
        self._configuration = configuration or (lambda item: None)
        self._proc: asyncio.subprocess.Process | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[tuple[float, Json]]] = {}
        self._notifications: asyncio.Queue[tuple[float, str, Json]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._stderr_drain: asyncio.Task[None] | None = None
        self.stderr_tail: list[str] = []

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 26,
            env=self.env,
        )
        self._reader = asyncio.create_task(self._read_loop())
        self._stderr_drain = asyncio.create_task(self._drain_stderr())

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def cpu_seconds(self) -> float | None:
        """CPU time the server's threads have run so far (Linux's per-thread schedstat, ns-exact; None elsewhere).

        On a shared machine the wall time of a step swings with the load; the CPU it used barely does."""
        if self._proc is None:
            return None
        total = 0
        try:
            for task in os.listdir(f"/proc/{self._proc.pid}/task"):
                with contextlib.suppress(OSError), open(f"/proc/{self._proc.pid}/task/{task}/schedstat") as stat:
                    total += int(stat.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return total / 1e9

    async def settled(self, quiet_s: float = 1.0, limit_s: float = 120.0) -> float:
        """Wait until the server and every process it started have used < 5 % of a core for `quiet_s` (it has
        finished looking at its workspace); returns the seconds waited."""
        assert self._proc is not None
        started = time.perf_counter()
        server = psutil.Process(self._proc.pid)

        def cpu_seconds() -> float:
            # The server's own time, its finished children's (children_*), and its running children's.
            times = server.cpu_times()
            total = times.user + times.system + times.children_user + times.children_system
            for child in server.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
            return total

        before = cpu_seconds()
        while time.perf_counter() - started < limit_s:
            await asyncio.sleep(quiet_s)
            now = cpu_seconds()
            if now - before < 0.05 * quiet_s:
                break
            before = now
        return time.perf_counter() - started

    async def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while line := await self._proc.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self.stderr_tail = [*self.stderr_tail[-20:], text]
            if self._on_stderr is not None:
                self._on_stderr(text)

    def _write(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        body = json.dumps(message, separators=(",", ":")).encode()
        self._proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read_loop(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stream = self._proc.stdout
        while True:
            length = 0
            while True:
                header = await stream.readline()
                if not header:
                    self._fail_pending(f"server exited: {' | '.join(self.stderr_tail[-5:])}")
                    return
                header = header.strip()
                if not header:
                    break
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = await stream.readexactly(length)
            arrived = time.perf_counter()
            message = json.loads(body)
            self._dispatch(arrived, message)

    def _dispatch(self, arrived: float, message: dict[str, Any]) -> None:
        if "method" in message and "id" in message:  # a request from the server: answer it at once
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
        elif "method" in message:
            self._notifications.put_nowait((arrived, message["method"], message.get("params")))
        elif (future := self._pending.pop(message.get("id", -1), None)) is not None and not future.done():
            if "error" in message:
                future.set_exception(LspError(message["error"]))
            else:
                future.set_result((arrived, message.get("result")))

    def _answer(self, request: dict[str, Any]) -> Json:
        if request["method"] == "workspace/configuration":
            return [self._configuration(item) for item in request["params"]["items"]]
        return None

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError(reason))
        self._pending.clear()

    async def request(self, method: str, params: Json, wait_s: float = 60.0) -> tuple[float, Json]:
        """Send a request; return (arrival time of the response, result)."""
        self._next_id += 1
        future: asyncio.Future[tuple[float, Json]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        self._write({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, wait_s)

    def notify(self, method: str, params: Json) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def flush(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        await self._proc.stdin.drain()

    def drop_notifications(self) -> None:
        """Forget notifications that arrived so far (late answers to an earlier step)."""
        while not self._notifications.empty():
            self._notifications.get_nowait()

    async def wait_notification(self, method: str, match: Callable[[Json], bool], wait_s: float) -> float:
        """Arrival time of the next `method` notification whose params satisfy `match`."""
        deadline = time.perf_counter() + wait_s
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(method)
            arrived, name, params = await asyncio.wait_for(self._notifications.get(), remaining)
            if name == method and match(params):
                return arrived

    async def stop(self) -> None:
        if self._proc is None:
            return
        try:
            await self.request("shutdown", None, wait_s=10)
            self.notify("exit", None)
            await asyncio.wait_for(self._proc.wait(), 10)
        except (TimeoutError, ConnectionError, LspError, BrokenPipeError, ConnectionResetError):
            pass
        finally:
            if self._proc.returncode is None:
                self._proc.kill()
                await self._proc.wait()
            for task in (self._reader, self._stderr_drain):
                if task is not None:
                    task.cancel()


class LspError(Exception):
    """An error response from the server."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


def initialize_params(workspace: Path, capabilities: dict[str, Any], dockhand: bool) -> dict[str, Any]:
    """The `initialize` request every bench sends: one workspace folder; Dockhand told the folder is untrusted."""
    return {
        "processId": None,
        "rootUri": workspace.as_uri(),
        "workspaceFolders": [{"uri": workspace.as_uri(), "name": workspace.name}],
        "capabilities": capabilities,
        "initializationOptions": {"trusted": False} if dockhand else None,
    }

"""Where blocking work runs: the loop's fixed pool of worker threads, and daemon threads for work that may hang.

`asyncio.to_thread` uses the loop's executor, whose worker threads the interpreter joins at exit: one `os.walk` of
a huge tree or one hung subprocess would then hold up the editor's "exit", so such work goes to `in_daemon_thread`
(a daemon thread is simply dropped).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

WORKER_THREADS = 4
"""Threads behind `asyncio.to_thread` (telemetry store reads and writes, `docker compose config`); 2 cores here."""


def start_worker_pool(loop: asyncio.AbstractEventLoop, workers: int = WORKER_THREADS) -> ThreadPoolExecutor:
    """Give `loop` a default executor of `workers` named threads, all started now.

    asyncio's own default executor starts another thread whenever a job arrives before the previous job's thread
    has marked itself idle — a race that back-to-back `to_thread` calls keep hitting — so over a soak it crept up
    to its cap (asyncio_0…asyncio_5). Started up front, the count is flat from the first second.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dockhand-worker")
    all_started = threading.Barrier(workers)
    for _ in range(workers):  # none can go idle before all are waiting, so each submit starts a thread
        pool.submit(all_started.wait, 5.0)
    loop.set_default_executor(pool)
    return pool


async def in_daemon_thread(fn: Callable[..., T], *args: object) -> T:
    """Run `fn(*args)` in a fresh daemon thread and await its result (or its exception)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting coroutine, which decides
            if not loop.is_closed():
                loop.call_soon_threadsafe(deliver, None, exc)
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(deliver, result, None)

    threading.Thread(target=work, name=f"dockhand-{getattr(fn, '__name__', 'work')}", daemon=True).start()
    return await future


PRELOADED = ("docker", "docker.errors", "docker.tls", "httpx", "networkx", "dockhand.telemetry.hub")
"""What the start-up work imports lazily from several threads at once (the engine and Swarm watchers, the stats
sampler, the Actuator pollers on the loop, the telemetry hub)."""


def preload(modules: tuple[str, ...] = PRELOADED) -> None:
    """Import `modules` one after another, in the calling thread.

    Two threads importing libraries that share dependencies at the same moment can deadlock in the import system:
    CPython then raises `_DeadlockError` in one of them and leaves it a half-initialized module (seen in CI: the
    engine watcher importing docker → requests while the loop imported httpx, both reaching importlib.resources;
    docker's urllib3 stayed broken and the engine "not reachable" until a restart). Imported here first, later
    imports are lookups."""
    import importlib
    import logging

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # an optional part missing: whoever needs it reports it
            logging.getLogger("dockhand").debug("preload of %s failed: %r", name, exc)

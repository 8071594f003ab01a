"""Blocking work in daemon threads, so a server that is shutting down never waits for a slow scan or probe.

`asyncio.to_thread` uses the loop's executor, whose worker threads the interpreter joins at exit: one `os.walk` of
a huge tree or one hung subprocess would then hold up the editor's "exit". A daemon thread is simply dropped.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


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

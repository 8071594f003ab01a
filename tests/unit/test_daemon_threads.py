"""in_daemon_thread: results and exceptions come back to the loop; the thread never holds up interpreter exit.
start_worker_pool: a fixed set of named worker threads behind asyncio.to_thread."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pytest

from dockhand.runtime.threads import in_daemon_thread, start_worker_pool


async def test_result_and_exception_come_back() -> None:
    assert await in_daemon_thread(sum, [1, 2, 3]) == 6
    with pytest.raises(ZeroDivisionError):
        await in_daemon_thread(divmod, 1, 0)


def test_a_stuck_thread_does_not_hold_up_exit() -> None:
    script = (
        "import asyncio, threading\n"
        "from dockhand.runtime.threads import in_daemon_thread\n"
        "async def main():\n"
        "    asyncio.get_running_loop().create_task(in_daemon_thread(threading.Event().wait))\n"
        "    await asyncio.sleep(0.1)\n"
        "asyncio.run(main())\n"
        "print('exited')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0 and "exited" in done.stdout


async def test_worker_pool_threads_are_all_there_from_the_start_and_stay_that_many() -> None:
    def workers() -> set[str]:
        return {t.name for t in threading.enumerate() if t.name.startswith("dockhand-worker")}

    pool = start_worker_pool(asyncio.get_running_loop(), workers=3)
    try:
        started = workers()
        assert len(started) == 3
        # Back-to-back jobs are what made asyncio's default executor add threads over a long session.
        ran_on = {await asyncio.to_thread(lambda: threading.current_thread().name) for _ in range(300)}
        assert ran_on <= started
        assert workers() == started
    finally:
        pool.shutdown(wait=False)


def test_preload_imports_what_the_start_up_threads_import() -> None:
    """Every name in PRELOADED is importable as written (a typo would only be logged at debug level), in a fresh
    interpreter where none of them was loaded before."""
    code = (
        "import sys\n"
        "from dockhand.runtime.threads import PRELOADED, preload\n"
        "assert not [m for m in PRELOADED if m in sys.modules], 'loaded before the preload'\n"
        "preload()\n"
        "print([m for m in PRELOADED if m not in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

"""in_daemon_thread: results and exceptions come back to the loop; the thread never holds up interpreter exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dockhand.runtime.threads import in_daemon_thread


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

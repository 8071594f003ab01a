"""What a new user waits for: the .vsix's size, and the time from the extension's activation to the first
diagnostics in real code-server + Chromium — cold (fresh HOME, user-data and extensions folders: the bundled server's
bytecode is compiled on this start) and warm (the same folders, code-server started again).

Only Debian's /usr/bin/python3 is on the PATH, as in tests/browser/test_install.py. The figures come from the
extension's own log lines ("Server running N s after activation": initialize answered; "First diagnostics N s after
activation"), timed by the extension itself (the channel's timestamps are those of its batched writes), so the
browser's page load is not counted, but the bench's opening of compose.yaml right after the window appears is.

Usage: .venv/bin/python bench/install_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.browser.workbench import CHROMIUM, CHROMIUM_ARGS, CodeServer, Workbench, free_port  # noqa: E402

COMPOSE = "services:\n  web:\n    image: busybox\n    depends_on: [database]\n"
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[\w+\] (.*)$")


def build() -> tuple[Path, Path]:
    subprocess.run([str(ROOT / "scripts" / "build-extension")], check=True, capture_output=True)
    done = subprocess.run([str(ROOT / "scripts" / "install-code-server")], check=True, capture_output=True, text=True)
    return ROOT / "extension" / "dockhand.vsix", Path(done.stdout.strip().splitlines()[-1])


def last_session(log: str) -> dict[str, float]:
    """Seconds from the last activation to the server's ready line and to the first diagnostics."""
    events: list[tuple[float, str]] = []
    for line in log.splitlines():
        if match := STAMP.match(line):
            when = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            events.append((when, match.group(2)))
    starts = [i for i, (_, text) in enumerate(events) if re.search(r"Dockhand \S+ activating", text)]
    session = events[starts[-1] :]
    figures: dict[str, float] = {}
    for _when, text in session:
        if "ready" not in figures and (m := re.search(r"Server running ([\d.]+) s after activation", text)):
            figures["ready"] = float(m.group(1))
        if "diagnostics" not in figures and (m := re.search(r"First diagnostics ([\d.]+) s after activation", text)):
            figures["diagnostics"] = float(m.group(1))
    return figures


def one_start(page: Page, server: CodeServer, folder: Path) -> dict[str, float]:
    workbench = Workbench(page, server, folder).open()
    workbench.open_file("compose.yaml")
    problem = page.locator(".editor-instance .squiggly-error, .editor-instance .squiggly-warning").first
    expect(problem).to_be_attached(timeout=120_000)
    deadline = time.monotonic() + 30
    while "diagnostics" not in (figures := last_session(server.dockhand_log())) and time.monotonic() < deadline:
        time.sleep(0.5)
    figures["server_cpu"] = server_cpu_seconds(server)
    page.goto("about:blank")
    return figures


def server_cpu_seconds(server: CodeServer) -> float:
    """CPU time the bundled server has used so far (user + system): the part of the wait that is the server's own
    work, whatever else the machine is doing."""
    for child in psutil.Process(server.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if any(arg.endswith("dockhand_server.py") for arg in child.cmdline()):
                times = child.cpu_times()
                return float(times.user + times.system)
    return float("nan")


def measure(page: Page, vsix: Path, entry: Path, scratch: Path) -> tuple[dict[str, float], dict[str, float]]:
    home = scratch / f"user-{time.monotonic_ns()}"
    (home / "home").mkdir(parents=True)
    (home / "bin").mkdir()
    (home / "bin" / "python3").symlink_to("/usr/bin/python3")
    env = {"HOME": str(home / "home"), "PATH": str(home / "bin"), "LANG": "C.UTF-8"}
    folder = home / "project"
    folder.mkdir()
    (folder / "compose.yaml").write_text(COMPOSE)
    settings = {
        "dockhand.server.python": None,
        "dockhand.server.importStrategy": None,
        "dockhand.otlpPort": free_port(),
    }
    results = []
    for install in (True, False):
        server = CodeServer.start(entry, vsix, home, settings, env=env, install=install)
        try:
            results.append(one_start(page, server, folder))
        finally:
            server.stop()
    return results[0], results[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    vsix, entry = build()
    print(f".vsix: {vsix.stat().st_size / 1e6:.2f} MB ({vsix.stat().st_size:,} bytes; goal <= 15 MB)")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="dh-install-bench-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.set_default_timeout(60_000)
        for run in range(args.runs):
            cold, warm = measure(page, vsix, entry, Path(tmp))
            for name, figures, goal in (("cold", cold, 10), ("warm", warm, 2)):
                print(
                    f"run {run + 1} {name}: activation -> server running {figures.get('ready', float('nan')):.2f} s, "
                    f"-> first diagnostics {figures.get('diagnostics', float('nan')):.2f} s (goal <= {goal} s); "
                    f"server CPU by then {figures.get('server_cpu', float('nan')):.2f} s"
                )
        browser.close()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

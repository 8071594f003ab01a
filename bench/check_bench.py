"""`dockhand check` side by side with dclint (npm, the compose linter to beat) in one run: a folder of 40 real
compose files and one 1000-service file. Goal: at least 3x faster than dclint on the folder, one process each.

    .venv/bin/python bench/check_bench.py [--runs 5] [--with-compose]

- The 40 files: every compose file of tests/data and examples (valid stacks, each invalid case) plus one
  generated 50-service project; both tools get the same explicit file list (dclint's folder search knows only
  compose-named files). The big file: `compose_gen.py`'s 1000 services.
- Each tool runs as a whole process (start-up included), A B A B … after one warm-up pair; wall time and CPU time
  (user + system of the finished child, from the OS) are printed as medians with min-max, plus the ratio of the
  medians. `--with-compose` adds `dockhand check` with Compose's verdict (it runs `docker compose config`).
- dclint 3.1.0 is installed (pinned) into bench/.peers/ on first run, beside the language-server peers.
Prints a table and writes it as JSON to bench/results/. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compose_gen import write_project
from peers import PEERS_DIR

from dockhand.compose.files import compose_files_in

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
DCLINT = "3.1.0"


def ensure_dclint() -> Path:
    binary = PEERS_DIR / "node_modules" / ".bin" / "dclint"
    manifest = PEERS_DIR / "node_modules" / "dclint" / "package.json"
    installed = json.loads(manifest.read_text())["version"] if manifest.exists() else None
    if installed != DCLINT:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed to install dclint (apt-get install -y nodejs npm)")
        PEERS_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(PEERS_DIR), "--no-audit", "--no-fund", "--save-exact", f"dclint@{DCLINT}"],
            check=True,
        )
    return binary


def folder_files(scratch: Path) -> list[Path]:
    files = [p for folder in ("tests/data", "examples") for p in compose_files_in(REPO / folder)]
    files.append(write_project(scratch / "generated-50", 50, "generated"))
    return files


def timed(argv: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """(wall s, cpu s of the child, exit code, stdout) for one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode, proc.stdout


def count_findings(tool: str, stdout: str, report: Path | None) -> str:
    try:
        data = json.loads(report.read_text() if report is not None else stdout)
    except (OSError, ValueError):
        return "?"
    if tool.startswith("dockhand"):
        return str(len(data["findings"]))
    return str(sum(f.get("errorCount", 0) + f.get("warningCount", 0) for f in data))


def measure(commands: dict[str, list[str]], runs: int, dclint_report: Path) -> dict[str, dict[str, object]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    found: dict[str, str] = {}
    for round_ in range(runs + 1):  # the first round warms caches and is not counted
        for name, argv in commands.items():
            wall, cpu, code, out = timed(argv, REPO)
            if round_:
                samples[name].append((wall, cpu))
            report = dclint_report if name == "dclint" else None
            found[name] = f"{count_findings(name, out, report)} (exit {code})"
    return {
        name: {
            "wall_s": [w for w, _ in rows],
            "cpu_s": [c for _, c in rows],
            "wall_median": statistics.median(w for w, _ in rows),
            "cpu_median": statistics.median(c for _, c in rows),
            "findings": found[name],
        }
        for name, rows in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--with-compose", action="store_true")
    args = parser.parse_args()
    dclint = ensure_dclint()
    dockhand = [sys.executable, "-m", "dockhand", "check", "--format", "json"]
    report: dict[str, object] = {"load_before": os.getloadavg()[0], "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="check-bench-") as tmp:
        scratch = Path(tmp)
        files = [str(p) for p in folder_files(scratch)]
        big = str(write_project(scratch / "big-1000", 1000, "big"))
        scenarios = {f"folder of {len(files)} files": files, "one 1000-service file": [big]}
        for scenario, targets in scenarios.items():
            commands = {"dockhand check": [*dockhand, "--no-compose", *targets]}
            if args.with_compose:
                commands["dockhand check --compose"] = [*dockhand, "--compose", *targets]
            # dclint exits before a large piped stdout is flushed: its report goes to a file
            commands["dclint"] = [str(dclint), "-f", "json", "-o", str(scratch / "dclint.json"), *targets]
            results = measure(commands, args.runs, scratch / "dclint.json")
            report[scenario] = results
            print(f"\n{scenario} ({args.runs} runs each, alternating; medians, min-max)")
            print(f"{'tool':26} {'wall s':>18} {'cpu s':>18} {'findings':>14}")
            for name, r in results.items():
                walls, cpus = r["wall_s"], r["cpu_s"]
                assert isinstance(walls, list) and isinstance(cpus, list)
                print(
                    f"{name:26} {r['wall_median']:7.3f} ({min(walls):.2f}-{max(walls):.2f})"
                    f" {r['cpu_median']:7.3f} ({min(cpus):.2f}-{max(cpus):.2f}) {r['findings']:>14}"
                )
            base, ours = results["dclint"], results["dockhand check"]
            wall_ratio = float(base["wall_median"]) / float(ours["wall_median"])  # type: ignore[arg-type]
            cpu_ratio = float(base["cpu_median"]) / float(ours["cpu_median"])  # type: ignore[arg-type]
            print(f"dockhand check is {wall_ratio:.1f}x faster than dclint (wall), {cpu_ratio:.1f}x (cpu)")
    report["load_after"] = os.getloadavg()[0]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"check_bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"\nload average {report['load_before']:.1f} → {report['load_after']:.1f}; results: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

"""The first open after start: a fresh server, `initialize`, `initialized`, didOpen at once → diagnostics.

Run: `.venv/bin/python bench/first_open_bench.py` (options: --sizes 50,200,1000 --samples 5 --idle-opens 5).

This is the moment an editor opens a compose file: it starts the server and sends didOpen right after
`initialized`. For each size and sample it writes a fresh project (bench/compose_gen.py, with one mistake:
`restart: sometimes` in the middle service), starts a fresh server per server kind, and times didOpen → the first
textDocument/publishDiagnostics that carries a diagnostic on that line. Dockhand and yaml-language-server (the
compose-spec schema from ../shared/peers/compose-spec.json, as in static_bench.py) alternate sample by sample, so
they share the machine's load. In the same run, per size, one Dockhand server is also measured the way
static_bench.py's "open" column is: warmed up with a tiny file, left to go idle, then `--idle-opens` cold opens of
files it never saw ("idle open") — the target is first open ≤ 2x that, and ≥ 5x faster than yaml-language-server.

Where the first open's time goes comes from Dockhand's own start-up timeline (one `dockhand.startup` log line:
ms after `initialized` at which it took the document, finished analysing it, published, began its start-up work,
and each start-up step ended). `--baseline-src DIR` adds a "dockhand (baseline)" server run from another source
tree (e.g. `git worktree add /tmp/base main` or `git archive main server | tar -x -C /tmp/base`, with the built
`_fastcompose` module copied in), to compare before/after in one run. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compose_gen import compose_text, write_project
from peers import PINNED, ensure_peers
from static_bench import CLIENT_CAPABILITIES, WARMUP_TEXT, ServerSpec

from lsp_client import LspError, LspProcess, initialize_params

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SCHEMA = next(
    (
        p
        for p in (
            REPO.parent / "shared" / "peers" / "compose-spec.json",
            REPO.parents[1] / "shared" / "peers" / "compose-spec.json",
        )
        if p.is_file()
    ),
    REPO.parent / "shared" / "peers" / "compose-spec.json",
)
"""Read at bench time, never copied into the repository (the main checkout's sibling, or a worktree's cousin)."""
MISTAKE = "restart: sometimes"
TIMELINE_WAIT_S = 15.0
"""After the diagnostics, how long to wait for Dockhand's start-up timeline line (its start-up work must end)."""


def mistaken_text(size: int, project: str) -> tuple[str, int]:
    """A valid project of `size` services but for `restart: sometimes` in the middle one; (text, its line)."""
    lines = compose_text(size, project, typo=False).split("\n")
    middle = lines.index(f"  svc-{size // 2:04d}:")
    line = next(i for i in range(middle, len(lines)) if lines[i].strip().startswith("restart:"))
    lines[line] = f"    {MISTAKE}"
    return "\n".join(lines), line


def write_mistaken(directory: Path, size: int, project: str) -> tuple[Path, str, int]:
    compose = write_project(directory, size, project)
    text, line = mistaken_text(size, project)
    compose.write_text(text)
    return compose, text, line


@dataclass
class Sample:
    server: str
    services: int
    first_open_ms: float | None = None
    timeline: dict[str, float] = field(default_factory=dict)
    load: float = 0.0
    error: str = ""
    cpu_ms: float | None = None
    """CPU the server's threads used from didOpen to the diagnostics (robust to the machine's load)."""
    validates: bool | None = None
    """For a peer: whether it then flagged an unknown key (its schema is in use)."""


def server_kinds(args: argparse.Namespace) -> list[ServerSpec]:
    peers = ensure_peers()
    schemas, off = {args.schema.as_uri(): "*.y*ml"}, {"enable": False}  # as static_bench.py gives them
    yaml_settings = {
        "yaml": {"schemas": schemas, "schemaStore": off, "validate": True, "hover": True, "completion": True}
    }
    env = {**os.environ, **dict(item.split("=", 1) for item in args.dockhand_env)}
    specs = [ServerSpec("dockhand", [sys.executable, "-m", "dockhand"], "dockercompose", env=env)]
    if args.baseline_src:
        base_env = {**env, "PYTHONPATH": str(args.baseline_src / "server")}
        specs.append(
            ServerSpec("dockhand (baseline)", [sys.executable, "-m", "dockhand"], "dockercompose", env=base_env)
        )
    if "yaml-language-server" in args.servers:
        node = ["node", *peers["yaml-language-server"], "--stdio"]
        specs.append(ServerSpec("yaml-language-server", node, "yaml", yaml_settings))
    return specs


async def start(spec: ServerSpec, workspace: Path, timeline: dict[str, float]) -> LspProcess:
    """A fresh server, initialized on `workspace`; Dockhand's start-up timeline line lands in `timeline`."""

    def on_stderr(line: str) -> None:
        if '"startup_ms"' in line:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                timeline.update(json.loads(line)["startup_ms"])

    client = LspProcess(spec.argv, spec.configuration, spec.env, on_stderr=on_stderr)
    await client.start()
    await client.request(
        "initialize",
        initialize_params(workspace, CLIENT_CAPABILITIES, spec.name.startswith("dockhand")),
        wait_s=120,
    )
    return client


async def open_until_flagged(
    client: LspProcess, spec: ServerSpec, uri: str, text: str, line: int | None, wait_s: float
) -> tuple[float, float | None]:
    """didOpen → the publishDiagnostics for `uri` with a diagnostic on `line` (any, when None): (seconds, CPU
    seconds the server's threads used meanwhile)."""

    def flagged(params: Any) -> bool:
        return params.get("uri") == uri and (
            line is None
            or any(d.get("range", {}).get("start", {}).get("line") == line for d in params.get("diagnostics", []))
        )

    cpu_before = client.cpu_seconds()
    started = time.perf_counter()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": spec.language_id, "version": 1, "text": text}},
    )
    elapsed = await client.wait_notification("textDocument/publishDiagnostics", flagged, wait_s) - started
    cpu_after = client.cpu_seconds()
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return elapsed, cpu


async def first_open(spec: ServerSpec, size: int, root: Path, args: argparse.Namespace) -> Sample:
    """One sample: fresh server, initialize, initialized, didOpen at once."""
    sample = Sample(spec.name, size)
    workspace = root / "workspace"
    compose, text, line = write_mistaken(workspace, size, project=root.name)
    client = await start(spec, workspace, sample.timeline)
    try:
        client.notify("initialized", {})
        if spec.settings:
            client.notify("workspace/didChangeConfiguration", {"settings": spec.settings})
        # yaml-language-server's compose schema has no list of restart values: it finds nothing wrong with the
        # file, so its first publication for it (its verdict) is what is timed; then it must flag an unknown key.
        wanted = None if spec.name == "yaml-language-server" else line
        elapsed, cpu = await open_until_flagged(client, spec, compose.as_uri(), text, wanted, args.timeout)
        sample.first_open_ms = round(elapsed * 1000, 2)
        sample.cpu_ms = round(cpu * 1000, 2) if cpu is not None else None
        if wanted is None:
            check = workspace / "check" / "compose.yaml"
            check.parent.mkdir()
            check.write_text(WARMUP_TEXT)
            try:
                await open_until_flagged(client, spec, check.as_uri(), WARMUP_TEXT, 3, args.timeout)
                sample.validates = True
            except TimeoutError:
                sample.validates = False
        if spec.name == "dockhand":  # its start-up work, which waited for this document, now runs: let it finish
            deadline = time.perf_counter() + TIMELINE_WAIT_S
            while not sample.timeline and time.perf_counter() < deadline:  # noqa: ASYNC110 - a line on stderr
                await asyncio.sleep(0.05)
    except (ConnectionError, TimeoutError, LspError) as err:
        sample.error = f"{type(err).__name__}: {err} {' | '.join(client.stderr_tail[-3:])}"
    finally:
        await client.stop()
    sample.load = os.getloadavg()[0]
    return sample


async def idle_opens(
    spec: ServerSpec, size: int, root: Path, args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    """static_bench.py's "open": warm up, wait for the server to go idle, then cold opens of unseen files (ms, and
    the server's CPU ms for each)."""
    workspace, elsewhere = root / "workspace", root / "elsewhere"
    workspace.mkdir(parents=True, exist_ok=True)
    files = [write_mistaken(elsewhere / f"r{i}", size, project=f"{root.name}-r{i}") for i in range(args.idle_opens)]
    client = await start(spec, workspace, {})
    opens: list[float] = []
    cpus: list[float] = []
    try:
        client.notify("initialized", {})
        warmup = elsewhere / "warmup" / "compose.yaml"
        warmup.parent.mkdir(parents=True, exist_ok=True)
        warmup.write_text(WARMUP_TEXT)
        await open_until_flagged(client, spec, warmup.as_uri(), WARMUP_TEXT, 3, args.timeout)
        client.notify("textDocument/didClose", {"textDocument": {"uri": warmup.as_uri()}})
        await client.settled(limit_s=args.idle_wait)
        for compose, text, line in files:
            elapsed, cpu = await open_until_flagged(client, spec, compose.as_uri(), text, line, args.timeout)
            opens.append(round(elapsed * 1000, 2))
            if cpu is not None:
                cpus.append(round(cpu * 1000, 2))
            client.notify("textDocument/didClose", {"textDocument": {"uri": compose.as_uri()}})
            await asyncio.sleep(args.settle)
    except (ConnectionError, TimeoutError, LspError) as err:
        print(f"  ! idle opens: {type(err).__name__}: {err}", file=sys.stderr)
    finally:
        await client.stop()
    return opens, cpus


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def checks(flags: list[bool]) -> str:
    """A peer's check that its schema was in use (it flagged an unknown key); Dockhand flags the mistake itself."""
    return "—" if not flags else "yes" if all(flags) else "no"


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if not args.schema.is_file():
        raise SystemExit(f"compose-spec schema not found at {args.schema} (pass --schema PATH)")
    specs = server_kinds(args)
    dockhand = specs[0]
    samples: list[Sample] = []
    idle: dict[int, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="dockhand-first-open-") as tmp:
        for size in args.sizes:
            for index in range(args.samples):
                # Alternate the order, so that neither server always runs right after the other's exit.
                for spec in specs if index % 2 == 0 else list(reversed(specs)):
                    root = Path(tmp) / f"{spec.name.split()[-1].strip('()')}-{size}-s{index}"
                    print(f"… {size} services, sample {index + 1}, {spec.name}", file=sys.stderr, flush=True)
                    samples.append(await first_open(spec, size, root, args))
            print(f"… {size} services, idle opens, dockhand", file=sys.stderr, flush=True)
            idle[size] = await idle_opens(dockhand, size, Path(tmp) / f"idle-{size}", args)
    return {"samples": samples, "idle": idle, "servers": [s.name for s in specs]}


PHASES = (
    ("first compose document opened", "took didOpen"),
    ("first document analysed", "analysed"),
    ("first diagnostics published", "published"),
    ("start-up work began", "start-up began"),
)


def report(result: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    samples: list[Sample] = result["samples"]
    idle: dict[int, tuple[list[float], list[float]]] = result["idle"]
    rows: list[dict[str, Any]] = []
    print("\nfirst open = fresh server, initialize, initialized, didOpen at once → publishDiagnostics flagging the")
    print('mistake (ms, median of the samples; each sample its own server); idle open = static_bench\'s "open"')
    print("(one Dockhand server, warmed up and idle, cold opens of unseen files); cpu = CPU ms the server's threads")
    print("used meanwhile (median; barely moved by the machine's load); load = 1-min load average\n")
    header = (
        f"{'services':>8}  {'server':<22}{'open p50':>9}{'min':>8}{'max':>8}{'cpu p50':>9}{'n':>4}{'load':>6}"
        f"{'checks':>8}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        for name in result["servers"]:
            mine = [s for s in samples if s.server == name and s.services == size]
            values = [s.first_open_ms for s in mine if s.first_open_ms is not None]
            loads = [s.load for s in mine]
            row = {
                "services": size,
                "server": name,
                "open_ms": values,
                "open_p50": median(values),
                "cpu_ms": [s.cpu_ms for s in mine if s.cpu_ms is not None],
                "load": round(statistics.mean(loads), 2) if loads else None,
                "errors": [s.error for s in mine if s.error],
                "flags_unknown_key": [s.validates for s in mine if s.validates is not None],
            }
            row["cpu_p50"] = median(row["cpu_ms"])
            rows.append(row)
        opens, cpus = idle.get(size, ([], []))
        rows.append(
            {
                "services": size,
                "server": "dockhand idle open",
                "open_ms": opens,
                "open_p50": median(opens),
                "cpu_ms": cpus,
                "cpu_p50": median(cpus),
                "load": None,
                "errors": [],
                "flags_unknown_key": [],
            }
        )
        for row in (r for r in rows if r["services"] == size):
            values = row["open_ms"]
            print(
                f"{size:>8}  {row['server']:<22}{fmt(row['open_p50']):>9}{fmt(min(values) if values else None):>8}"
                f"{fmt(max(values) if values else None):>8}{fmt(row['cpu_p50']):>9}{len(values):>4}"
                f"{fmt(row['load']):>6}{checks(row['flags_unknown_key']):>8}"
            )
            for error in row["errors"][:2]:
                print(f"{'':>10}! {error}")
    print()
    for size in args.sizes:
        by_server = {r["server"]: r for r in rows if r["services"] == size}
        ours, idle_row = by_server.get("dockhand"), by_server.get("dockhand idle open")
        theirs = by_server.get("yaml-language-server")
        parts = []
        if ours and theirs and ours["open_p50"] and theirs["open_p50"]:
            parts.append(f"{theirs['open_p50'] / ours['open_p50']:.1f}x faster than yaml-language-server (≥ 5x)")
        if ours and idle_row and ours["open_p50"] and idle_row["open_p50"]:
            ratio = f"{ours['open_p50'] / idle_row['open_p50']:.2f}x its idle open (≤ 2x)"
            if ours["cpu_p50"] and idle_row["cpu_p50"]:
                ratio += f", CPU {ours['cpu_p50'] / idle_row['cpu_p50']:.2f}x"
            parts.append(ratio)
        print(f"{size:>8} services: Dockhand's first open is {', '.join(parts) or '—'}")
    print("\nwhere Dockhand's first open goes (its start-up timeline; ms after `initialized`, median of the samples):")
    for size in args.sizes:
        timelines = [s.timeline for s in samples if s.server == "dockhand" and s.services == size and s.timeline]
        if not timelines:
            print(f"{size:>8} services: no start-up timeline logged")
            continue
        phases = sorted(
            {k for t in timelines for k in t}, key=lambda k: statistics.median(t[k] for t in timelines if k in t)
        )
        medians = {k: statistics.median(t[k] for t in timelines if k in t) for k in phases}
        steps = [f"{label} {medians[key]:.1f}" for key, label in PHASES if key in medians]
        rest = [f"{k} {medians[k]:.0f}" for k in phases if k not in dict(PHASES)]
        print(f"{size:>8} services: {', '.join(steps)}")
        print(f"{'':>10}then the start-up work: {', '.join(rest)}")
        analysed, opened = medians.get("first document analysed"), medians.get("first compose document opened")
        if analysed is not None and opened is not None:
            print(f"{'':>10}analysis of the document: {analysed - opened:.1f} ms; before it: {opened:.1f} ms")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,200,1000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--samples", type=int, default=5, help="fresh servers per size and server kind")
    parser.add_argument("--idle-opens", type=int, default=5)
    parser.add_argument("--servers", default="dockhand,yaml-language-server")
    parser.add_argument("--baseline-src", type=Path, help="a source tree to run as 'dockhand (baseline)'")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for diagnostics")
    parser.add_argument("--settle", type=float, default=0.2, help="pause between idle opens")
    parser.add_argument("--idle-wait", type=float, default=60.0, help="longest wait for the idle server to settle")
    parser.add_argument("--schema", type=Path, default=SCHEMA)
    parser.add_argument("--dockhand-env", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    started = time.time()
    load_before = os.getloadavg()
    result = asyncio.run(run(args))
    rows = report(result, args)
    print(f"\nload average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / time.strftime("first-open-%Y%m%d-%H%M%S.json", time.gmtime(started))
    out.write_text(
        json.dumps(
            {
                "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_before": load_before},
                "peers": PINNED,
                "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "rows": rows,
                "timelines": [
                    {"server": s.server, "services": s.services, "startup_ms": s.timeline}
                    for s in result["samples"]
                    if s.timeline
                ],
            },
            indent=2,
        )
    )
    print(f"results: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

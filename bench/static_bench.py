"""Side-by-side speed of the static half: Dockhand vs yaml-language-server vs compose-language-service.

Run: `.venv/bin/python bench/static_bench.py` (options: --sizes 50,200,1000 --opens 5 --changes 20 --hovers 300).

For each size it writes a realistic compose project (bench/compose_gen.py; valid but for one misspelt key, so
every validating server has a verdict to publish), starts each server over stdio
with a tiny timestamping JSON-RPC client (bench/lsp_client.py) and measures, in the same run:
  * didOpen → first textDocument/publishDiagnostics for that document (`--opens` fresh documents, p50 / max):
    "open" for files outside the workspace folder (cold: nothing about them is known), "ws open" for files of the
    workspace folder opened unchanged once the server has gone idle after initialize (at most `--workspace-wait`
    s; Dockhand analyses its workspace's compose projects in the background at startup, the peers do not, so for
    them both columns are the same work). Every file differs (its own project name), so nothing is shared by text;
  * didChange (an incremental edit of one image tag) → the next publishDiagnostics (p50 / p99);
  * textDocument/hover round trip on service names, `image:` keys and depends_on targets (p50 / p99).
Each server first opens a tiny file with an unknown key, which both warms it up and proves it validates (the
"checks" column says whether it flagged the key). yaml-language-server gets the compose-spec schema from
../shared/peers/compose-spec.json through workspace/configuration (yaml.schemas, schemaStore off) — read at bench
time, never copied. The peers are installed (pinned) into bench/.peers/ by bench/peers.py on first run.
Prints a table and writes it as JSON to bench/results/. It prints figures; it asserts nothing. Targets (issue #3):
Dockhand ≥ 5x faster than yaml-language-server at every size (≤ 60 ms at 200 services) and hover p99 ≤ 5 ms at
1000 services. The machine is shared (2 cores): compare columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compose_gen import compose_text, write_project
from engine_figures import engine_figures
from peers import PINNED, ensure_peers

from lsp_client import LspError, LspProcess, initialize_params

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCHEMA = REPO.parent / "shared" / "peers" / "compose-spec.json"
RESULTS = REPO / "bench" / "results"
WARMUP_TEXT = "services:\n  web:\n    image: busybox\n    imagee: typo\n"

CLIENT_CAPABILITIES: dict[str, Any] = {
    "workspace": {
        "configuration": True,
        "didChangeConfiguration": {"dynamicRegistration": True},
        "workspaceFolders": True,
    },
    "textDocument": {
        "synchronization": {"dynamicRegistration": False, "didSave": True},
        "publishDiagnostics": {"relatedInformation": True, "versionSupport": True},
        "hover": {"contentFormat": ["markdown", "plaintext"]},
        "completion": {"completionItem": {"snippetSupport": True}},
    },
    "general": {"positionEncodings": ["utf-16"]},
}


@dataclass
class ServerSpec:
    name: str
    argv: list[str]
    language_id: str
    settings: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] | None = None

    def configuration(self, item: dict[str, Any]) -> Any:
        return self.settings.get(item.get("section", ""), None)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def server_specs(schema: Path, only: set[str] | None, dockhand_env: list[str]) -> list[ServerSpec]:
    node = shutil.which("node") or "node"
    peers = ensure_peers()
    yaml_settings = {
        "yaml": {
            "schemas": {schema.as_uri(): "*.y*ml"},
            "schemaStore": {"enable": False},
            "validate": True,
            "hover": True,
            "completion": True,
        }
    }
    overrides = dict(item.split("=", 1) for item in dockhand_env)
    specs = [
        ServerSpec(
            "dockhand", [sys.executable, "-m", "dockhand"], "dockercompose", env={**os.environ, **overrides} or None
        ),
        ServerSpec("yaml-language-server", [node, *peers["yaml-language-server"], "--stdio"], "yaml", yaml_settings),
        ServerSpec("compose-language-service", [node, *peers["compose-language-service"], "--stdio"], "dockercompose"),
    ]
    return [spec for spec in specs if only is None or spec.name in only]


def hover_positions(text: str, count: int, seed: int) -> list[tuple[int, int]]:
    """Positions inside service names, `image:` keys and depends_on targets, spread over the file."""
    lines = text.split("\n")
    names = [(i, 3) for i, line in enumerate(lines) if re.fullmatch(r"  svc-\d{4}:", line)]
    images = [(i, 5) for i, line in enumerate(lines) if line.startswith("    image: ")]
    targets = [(i, 8) for i, line in enumerate(lines) if re.fullmatch(r"      svc-\d{4}:", line)]
    rng = random.Random(seed)
    pools = [pool for pool in (names, images, targets) if pool]
    return [rng.choice(pools[k % len(pools)]) for k in range(count)]


def image_tag_edits(text: str, count: int) -> list[tuple[int, int, int, str]]:
    """(line, start, end, new text) edits that flip the last digit of image tags — same length, stays valid."""
    lines = text.split("\n")
    image_lines = [i for i, line in enumerate(lines) if line.startswith("    image: registry.local/")]
    middle = len(image_lines) // 2
    edits = []
    for k in range(count):
        line_no = image_lines[(middle + k * 7) % len(image_lines)]
        line = lines[line_no]
        digit = line[-1]
        new_digit = "9" if digit != "9" else "8"
        lines[line_no] = line[:-1] + new_digit
        edits.append((line_no, len(line) - 1, len(line), new_digit))
    return edits


async def measure(spec: ServerSpec, size: int, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """All figures for one server at one size (a fresh server process)."""
    result: dict[str, Any] = {"server": spec.name, "services": size, "errors": [], "load_before": os.getloadavg()[0]}
    client = LspProcess(spec.argv, spec.configuration, spec.env)
    workspace, elsewhere = root / "workspace", root / "elsewhere"
    await client.start()
    try:
        await client.request(
            "initialize",
            initialize_params(workspace, CLIENT_CAPABILITIES, spec.name == "dockhand"),
            wait_s=60,
        )
        client.notify("initialized", {})
        if spec.settings:
            client.notify("workspace/didChangeConfiguration", {"settings": spec.settings})

        async def open_and_wait(uri: str, text: str) -> tuple[float, int]:
            client.drop_notifications()
            counts: list[int] = []

            def for_uri(params: Any) -> bool:
                if params.get("uri") != uri:
                    return False
                counts.append(len(params.get("diagnostics", [])))
                return True

            start = time.perf_counter()
            client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": spec.language_id, "version": 1, "text": text}},
            )
            arrived = await client.wait_notification("textDocument/publishDiagnostics", for_uri, args.timeout)
            return arrived - start, counts[-1]

        warmup = elsewhere / "warmup" / "compose.yaml"
        warmup.parent.mkdir(exist_ok=True)
        warmup.write_text(WARMUP_TEXT)
        try:
            _, flagged = await open_and_wait(warmup.as_uri(), WARMUP_TEXT)
            result["flags_unknown_key"] = flagged > 0
        except TimeoutError:
            result["flags_unknown_key"] = None
            result["errors"].append("no diagnostics for the warm-up file")
        client.notify("textDocument/didClose", {"textDocument": {"uri": warmup.as_uri()}})
        # As after opening a folder in the editor: every server may first look at its workspace (Dockhand analyses
        # its compose projects and asks Compose about them); measure once it has gone quiet.
        result["settled_s"] = round(await client.settled(limit_s=args.workspace_wait), 1)

        uri, text = "", ""
        for folder, key in ((elsewhere, "open"), (workspace, "ws_open")):
            opens: list[float] = []
            diagnostics_on_open: list[int] = []
            for run in range(args.opens):
                compose = folder / f"r{run}" / "compose.yaml"
                text = compose.read_text()
                if uri:
                    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
                uri = compose.as_uri()
                try:
                    elapsed, count = await open_and_wait(uri, text)
                except TimeoutError:
                    result["errors"].append(f"didOpen: no diagnostics within {args.timeout}s")
                    break
                opens.append(elapsed)
                diagnostics_on_open.append(count)
                await asyncio.sleep(args.settle)
            result[f"{key}_ms"] = [ms(v) for v in opens]
            result.setdefault("diagnostics_on_open", diagnostics_on_open)
        result["diagnostics_on_open"] = diagnostics_on_open

        changes: list[float] = []
        if opens:
            version = 1
            for line_no, start_char, end_char, new_text in image_tag_edits(text, args.changes):
                await asyncio.sleep(args.settle)
                client.drop_notifications()
                version += 1
                wanted = version

                def current(params: Any, wanted: int = wanted) -> bool:
                    return params.get("uri") == uri and params.get("version") in (None, wanted)

                start = time.perf_counter()
                edit_range = {
                    "start": {"line": line_no, "character": start_char},
                    "end": {"line": line_no, "character": end_char},
                }
                client.notify(
                    "textDocument/didChange",
                    {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [{"range": edit_range, "text": new_text}],
                    },
                )
                try:
                    arrived = await client.wait_notification("textDocument/publishDiagnostics", current, args.timeout)
                except TimeoutError:
                    result["errors"].append(f"didChange: no diagnostics within {args.timeout}s")
                    break
                changes.append(arrived - start)
        result["change_ms"] = [ms(v) for v in changes]

        hovers: list[float] = []
        answered = 0
        if opens:
            await asyncio.sleep(args.settle)
            for line_no, character in hover_positions(text, args.hovers, seed=size):
                start = time.perf_counter()
                try:
                    arrived, hover = await client.request(
                        "textDocument/hover",
                        {"textDocument": {"uri": uri}, "position": {"line": line_no, "character": character}},
                        wait_s=args.timeout,
                    )
                except LspError as err:
                    result["errors"].append(f"hover: {err}")
                    break
                hovers.append(arrived - start)
                answered += hover is not None
        result["hover_ms"] = [ms(v) for v in hovers]
        result["hover_answered"] = answered
    except (ConnectionError, TimeoutError, LspError) as err:
        result["errors"].append(f"{type(err).__name__}: {err} {' | '.join(client.stderr_tail[-3:])}")
    finally:
        await client.stop()
    result["load_after"] = os.getloadavg()[0]
    for key in ("open", "ws_open", "change", "hover"):
        values = result.get(f"{key}_ms", [])
        result[f"{key}_p50"] = percentile(values, 50)
        result[f"{key}_p99"] = percentile(values, 99)
    return result


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'services':>8}  {'server':<26}{'open p50':>9}{'ws open':>9}{'change p50':>11}{'change p99':>11}"
        f"{'hover p50':>10}{'hover p99':>10}{'hovers':>8}{'diags':>7}{'checks':>8}{'settled':>8}{'load':>6}"
    )
    print("\nlatency in ms (open = didOpen→publishDiagnostics of a file outside the workspace, never seen before;")
    print("ws open = the same for a file of the workspace folder, opened unchanged after the servers had")
    print("gone idle after initialize (settled = seconds that took); change = didChange→publishDiagnostics;")
    print("hovers = answered of those asked; load = 1-min load average after the row, on this machine's cores)")
    print(header)
    print("-" * len(header))
    for row in rows:
        checks = {True: "yes", False: "no", None: "—"}[row.get("flags_unknown_key")]
        diags = row.get("diagnostics_on_open") or []
        print(
            f"{row['services']:>8}  {row['server']:<26}{fmt(row['open_p50']):>9}{fmt(row['ws_open_p50']):>9}"
            f"{fmt(row['change_p50']):>11}"
            f"{fmt(row['change_p99']):>11}{fmt(row['hover_p50']):>10}{fmt(row['hover_p99']):>10}"
            f"{row.get('hover_answered', 0):>8}{(diags[0] if diags else '—'):>7}{checks:>8}"
            f"{row.get('settled_s', 0):>8}"
            f"{row['load_after']:>6.1f}"
        )
        for error in row["errors"][:3]:
            print(f"{'':>10}! {error}")
    print()
    for size in sorted({row["services"] for row in rows}):
        by_server = {row["server"]: row for row in rows if row["services"] == size}
        ours, yaml_ls = by_server.get("dockhand"), by_server.get("yaml-language-server")
        if not ours or not yaml_ls:
            continue
        parts = []
        for key in ("open", "ws_open", "change"):
            if ours[f"{key}_p50"] and yaml_ls[f"{key}_p50"]:
                parts.append(f"{key} {yaml_ls[f'{key}_p50'] / ours[f'{key}_p50']:.1f}x")
        print(f"{size:>8} services: Dockhand vs yaml-language-server (p50): {', '.join(parts) or '—'}")


async def run(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    if not args.schema.is_file():
        raise SystemExit(f"compose-spec schema not found at {args.schema} (pass --schema PATH)")
    specs = server_specs(args.schema, set(args.servers.split(",")) if args.servers else None, args.dockhand_env)
    rows = []
    engine: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="dockhand-bench-") as tmp:
        for size in args.sizes:
            for spec in specs:
                root = Path(tmp) / f"{spec.name}-{size}"
                for run_index in range(args.opens):
                    for folder in ("elsewhere", "workspace"):  # no two files alike: nothing is reused between them
                        write_project(root / folder / f"r{run_index}", size, project=f"{folder}{run_index}")
                print(f"… {size} services, {spec.name}", file=sys.stderr, flush=True)
                rows.append(await measure(spec, size, root, args))
            compose = write_project(Path(tmp) / f"engine-{size}", size)
            positions = hover_positions(compose.read_text(), args.hovers, seed=size)
            engine[size] = engine_figures(compose, max(args.changes, 5), positions)
    return rows, engine


def print_engine(engine: dict[int, dict[str, Any]]) -> None:
    print("Dockhand's static engine in-process, no server (ms): rebuild = parse + model + rules of an edited file")
    print(f"{'services':>8}  {'rebuild p50':>12}{'rebuild max':>12}{'hover p50':>10}{'hover p99':>10}")
    for size, figures in engine.items():
        print(
            f"{size:>8}  {fmt(figures['rebuild_ms_p50']):>12}{fmt(figures['rebuild_ms_max']):>12}"
            f"{fmt(figures['hover_ms_p50']):>10}{fmt(figures['hover_ms_p99']):>10}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,200,1000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--servers", default="", help="comma list: dockhand,yaml-language-server,compose-...")
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--hovers", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for diagnostics")
    parser.add_argument("--settle", type=float, default=0.2, help="pause between steps so late answers drain")
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument(
        "--workspace-wait", type=float, default=120.0, help="longest wait for a server to go idle after initialize"
    )
    parser.add_argument(
        "--dockhand-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for Dockhand, e.g. DOCKHAND_DIAGNOSTICS_DEBOUNCE_MS=0 (repeatable)",
    )
    args = parser.parse_args()
    started = time.time()
    rows, engine = asyncio.run(run(args))
    print_table(rows)
    print()
    print_engine(engine)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / time.strftime("static-%Y%m%d-%H%M%S.json", time.gmtime(started))
    report = {
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "peers": PINNED,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "file_sizes": {size: len(compose_text(size)) for size in args.sizes},
        "rows": rows,
        "engine": engine,
    }
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

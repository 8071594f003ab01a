"""`dockhand check [PATHS…]`: argument parsing, the run, the chosen output format and the exit code
(0 clean, 1 findings at or above --failure-threshold, 2 usage or internal error)."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from dockhand.check.catalogue import RULES
from dockhand.check.collect import SEVERITY_RANK, CheckRun, run_check
from dockhand.compose.document import Problem
from dockhand.compose.model import ComposeProject
from dockhand.compose.suppress import without_suppressed
from dockhand.errors import DiagnosticError

FORMATS = ("text", "json", "sarif", "github", "junit")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad command line: printed with the remedy, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockhand check",
        description="Check compose files with the rules of the Dockhand editor (no Docker Engine needed).",
        epilog="Suppress one finding with a comment on the line before it: `# dockhand: ignore[rule-id]`.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="compose files or folders (default: the current folder)")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("-o", "--output", type=Path, help="write the report to this file instead of stdout")
    parser.add_argument(
        "--failure-threshold",
        choices=("error", "warning", "info"),
        default="error",
        help="exit 1 when a finding is at least this severe (default: error)",
    )
    parser.add_argument(
        "--select", action="append", default=[], metavar="IDS", help="only these rule ids (comma-separated)"
    )
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="IDS", help="skip these rule ids (comma-separated)"
    )
    compose = parser.add_mutually_exclusive_group()
    compose.add_argument(
        "--compose",
        dest="compose",
        action="store_true",
        default=None,
        help="add `docker compose config`'s verdict (default: when Compose v2 is found)",
    )
    compose.add_argument("--no-compose", dest="compose", action="store_false", help="do not run Compose")
    parser.add_argument(
        "--compose-binary",
        default=os.environ.get("DOCKHAND_COMPOSE_BINARY", ""),
        metavar="PATH",
        help="the Compose v2 binary to use",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="add problems of the running stack from a reachable Docker Engine (containers older than the file: with Compose)",
    )
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="base of relative paths in reports (default: the current folder)"
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (default: on a terminal)",
    )
    parser.add_argument("--list-rules", action="store_true", help="print the rule ids and exit")
    return parser


def _rule_ids(values: list[str], flag: str) -> set[str]:
    ids = {i.strip() for value in values for i in value.split(",") if i.strip()}
    for rule_id in ids - set(RULES):
        close = difflib.get_close_matches(rule_id, list(RULES), n=1)
        hint = f" Did you mean `{close[0]}`?" if close else " `dockhand check --list-rules` lists them."
        raise UsageError(f"{flag}: unknown rule id `{rule_id}`.{hint}")
    return ids


def _extra_sources(args: argparse.Namespace) -> Callable[[ComposeProject, list[Problem]], list[Problem]] | None:
    sources: list[Callable[[ComposeProject, list[Problem]], list[Problem]]] = []
    cli = None
    if args.compose is not False:
        from dockhand.check.verdict import compose_verdict, find_compose_cli

        cli = find_compose_cli(args.compose_binary)
        if cli is None and args.compose:
            raise UsageError(
                "--compose: no Compose v2 binary found. Install the Compose plugin or pass --compose-binary."
            )
        if cli is not None:
            found = cli
            sources.append(lambda project, static: compose_verdict(found, project, static, timeout_s=60))
    if args.live:
        from dockhand.check.live import live_findings
        from dockhand.check.verdict import resolved_project

        resolve = (lambda project, name, c=cli: resolved_project(c, project, name, 60)) if cli is not None else None
        sources.append(lambda project, static: live_findings(project, resolve))
    if not sources:
        return None

    def extra(project: ComposeProject, static: list[Problem]) -> list[Problem]:
        found = [p for source in sources for p in source(project, static)]
        return without_suppressed(found, project.documents)

    return extra


def _render(run: CheckRun, args: argparse.Namespace, colour: bool) -> str:
    from dockhand.check import formats, sarif

    if args.format == "json":
        return formats.render_json(run, args.root)
    if args.format == "sarif":
        return sarif.render_sarif(run, args.root)
    if args.format == "github":
        return formats.render_github(run, args.root)
    if args.format == "junit":
        return formats.render_junit(run, args.root, args.failure_threshold)
    return formats.render_text(run, args.root, colour)


def _wants_colour(args: argparse.Namespace) -> bool:
    if args.color != "auto":
        return bool(args.color == "always")
    return args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a bad command line
    if args.list_rules:
        for rule in RULES.values():
            print(f"{rule.id:26} {rule.severity:8} {rule.summary}")
        return EXIT_CLEAN
    try:
        return _check(args)
    except UsageError as err:
        print(f"dockhand check: {err}", file=sys.stderr)
        return EXIT_ERROR
    except DiagnosticError as err:  # e.g. --live and the engine does not answer
        print(f"dockhand check: {err.message}\n  fix: {err.remediation}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as err:  # a bug must give CI a clear exit 2, not look like findings
        import traceback

        traceback.print_exc()
        print(f"dockhand check: internal error: {err}. Please report it with the trace above.", file=sys.stderr)
        return EXIT_ERROR


def _check(args: argparse.Namespace) -> int:
    select, ignore = _rule_ids(args.select, "--select"), _rule_ids(args.ignore, "--ignore")
    paths = args.paths or [Path(".")]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {missing[0]}. Pass compose files or folders that exist.")
    run = run_check(paths, extra=_extra_sources(args))
    if not run.files:  # a wrong path in CI must not pass as "clean"
        shown = ", ".join(str(p) for p in paths)
        raise UsageError(
            f"no compose files in {shown}. Pass compose files or folders holding compose.yaml, "
            "docker-compose.yml or YAML files with a top-level `services:`."
        )
    run.findings = [f for f in run.findings if (not select or f.rule in select) and f.rule not in ignore]
    report = _render(run, args, _wants_colour(args))
    if args.output is not None:
        args.output.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    threshold = SEVERITY_RANK[args.failure_threshold]
    failing = any(SEVERITY_RANK.get(f.severity, 0) >= threshold for f in run.findings)
    return EXIT_FINDINGS if failing else EXIT_CLEAN

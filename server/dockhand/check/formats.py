"""`dockhand check` output formats other than SARIF: text (file:line:col + caret excerpt), json, github (workflow
annotations) and junit (XML for CI test reports)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from dockhand import __version__
from dockhand.check.catalogue import rule_for
from dockhand.check.collect import SEVERITY_RANK, CheckRun, Finding

_COLOURS = {"error": "31", "warning": "33", "info": "36", "hint": "36"}
_CONTROLS = {c: "\ufffd" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x09}
"""A file's bytes must never reach the terminal as control sequences (an escape in a key could repaint it)."""


def printable(text: str) -> str:
    """`text` with control characters replaced, one for one (carets stay aligned)."""
    return text.translate(_CONTROLS)


def display_path(path: Path, root: Path) -> str:
    """`path` relative to `root` (with forward slashes) when below it, else absolute."""
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.as_posix()


def summary_counts(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {s: counts.get(s, 0) for s in ("error", "warning", "info", "hint")}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(run: CheckRun, root: Path, colour: bool) -> str:
    def paint(code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    out: list[str] = []
    for f in run.findings:
        where = paint("1", f"{display_path(f.path, root)}:{f.line}:{f.column}")
        message = printable(f.message)
        out.append(f"{where}: {paint(_COLOURS.get(f.severity, '0'), f.severity)}: {message} [{f.rule}]")
        if f.source_line:
            gutter = " " * len(str(f.line))
            source = printable(f.source_line.expandtabs(1))
            width = (f.end_column - f.column) if f.end_line == f.line else len(source) - f.column + 1
            caret = " " * (f.column - 1) + "^" * max(1, min(width, len(source) - f.column + 1))
            out.append(f" {f.line} | {source}")
            out.append(f" {gutter} | {paint(_COLOURS.get(f.severity, '0'), caret)}")
        for r in f.related:
            out.append(f"    note: {display_path(r.path, root)}:{r.line}:{r.column}: {printable(r.note)}")
    counts = summary_counts(run.findings)
    checked = f"{_plural(len(run.files), 'file')} checked"
    if run.findings:
        parts = [_plural(counts[s], s) for s in ("error", "warning", "info") if counts[s]]
        out.append(f"{', '.join(parts)} ({checked}).")
    else:
        out.append(f"No problems found ({checked}).")
    return "\n".join(out) + "\n"


def render_json(run: CheckRun, root: Path) -> str:
    doc = {
        "tool": {"name": "dockhand", "version": __version__},
        "files": [display_path(p, root) for p in run.files],
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "path": display_path(f.path, root),
                "line": f.line,
                "column": f.column,
                "endLine": f.end_line,
                "endColumn": f.end_column,
                "related": [
                    {"path": display_path(r.path, root), "line": r.line, "column": r.column, "message": r.note}
                    for r in f.related
                ],
            }
            for f in run.findings
        ],
        "summary": summary_counts(run.findings),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def render_github(run: CheckRun, root: Path) -> str:
    """GitHub Actions workflow commands: one annotation per finding, shown on the pull request's diff."""
    lines = []
    for f in run.findings:
        props = {
            "file": display_path(f.path, root),
            "line": str(f.line),
            "col": str(f.column),
            "endLine": str(f.end_line),
            "title": f"dockhand {f.rule}",
        }
        if f.end_line == f.line:
            props["endColumn"] = str(f.end_column)
        text = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items())
        lines.append(f"::{_GITHUB_LEVEL.get(f.severity, 'notice')} {text}::{_escape_data(printable(f.message))}")
    return "\n".join(lines) + ("\n" if lines else "")


def render_junit(run: CheckRun, root: Path, failure_threshold: str = "error") -> str:
    """JUnit XML: one test suite per checked file, one test case per finding (a clean file passes once). A finding at
    or above `failure_threshold` is a failure; one below it passes with its text as output, so the report's red and
    green agree with the exit code (warnings do not fail a build that only fails on errors)."""
    suites = ET.Element("testsuites", name="dockhand check")
    by_file: dict[Path, list[Finding]] = {p: [] for p in run.files}
    for f in run.findings:
        by_file.setdefault(f.path, []).append(f)
    threshold = SEVERITY_RANK[failure_threshold]
    total = failures = 0
    for path, found in by_file.items():
        name = display_path(path, root)
        failing = sum(1 for f in found if SEVERITY_RANK.get(f.severity, 0) >= threshold)
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(max(1, len(found))), failures=str(failing))
        if not found:
            ET.SubElement(suite, "testcase", name="dockhand check", classname=name)
        for f in found:
            case = ET.SubElement(suite, "testcase", name=f"{f.rule} at {f.line}:{f.column}", classname=name)
            message = printable(f.message)  # XML 1.0 cannot hold control characters at all
            text = f"{name}:{f.line}:{f.column}: {f.severity}: {message} [{f.rule}]\n{rule_for(f.rule).help}"
            if SEVERITY_RANK.get(f.severity, 0) >= threshold:
                ET.SubElement(case, "failure", message=message, type=f.severity).text = text
            else:
                ET.SubElement(case, "system-out").text = text
        total += max(1, len(found))
        failures += failing
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"

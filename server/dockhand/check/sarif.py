"""SARIF 2.1.0 for `dockhand check --format sarif` (GitHub code scanning): stable rule ids (the Problem codes) with
help text, relative URIs under the `%SRCROOT%` base, and partial fingerprints that survive lines moving."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from dockhand import __version__
from dockhand.check.catalogue import RULES, Rule, rule_for
from dockhand.check.collect import CheckRun, Finding
from dockhand.check.formats import display_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "dockhand/v1"
_LEVEL = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}


def _location(path: Path, root: Path) -> dict[str, Any]:
    shown = display_path(path, root)
    if shown.startswith("/"):
        return {"uri": path.absolute().as_uri()}
    return {"uri": shown, "uriBaseId": SRCROOT}


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.help},
        "help": {"text": rule.help, "markdown": f"**{rule.summary}** — {rule.help}"},
        "defaultConfiguration": {"level": _LEVEL.get(rule.severity, "warning")},
        "properties": {"tags": sorted({"compose", rule.group})},
    }


def _fingerprint(f: Finding, shown: str, seen: Counter[str]) -> str:
    """Rule, file and the finding's line text (not its number), plus which occurrence it is of those three."""
    base = "\0".join((f.rule, shown, " ".join(f.source_line.split())))
    seen[base] += 1
    return hashlib.sha256(f"{base}\0{seen[base]}".encode()).hexdigest()[:32]


def _region(line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> dict[str, int]:
    region = {"startLine": line, "startColumn": column}
    if end_line is not None and end_column is not None and (end_line, end_column) >= (line, column):
        region.update(endLine=end_line, endColumn=end_column)
    return region


def render_sarif(run: CheckRun, root: Path) -> str:
    ids = list(RULES) + sorted({f.rule for f in run.findings} - set(RULES))
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    seen: Counter[str] = Counter()
    results = []
    for f in run.findings:
        shown = display_path(f.path, root)
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(f.path, root),
                        "region": _region(f.line, f.column, f.end_line, f.end_column),
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT: _fingerprint(f, shown, seen)},
        }
        if f.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": r.note},
                    "physicalLocation": {
                        "artifactLocation": _location(r.path, root),
                        "region": _region(r.line, r.column),
                    },
                }
                for i, r in enumerate(f.related)
            ]
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockhand",
                        "version": __version__,
                        "rules": [_rule_descriptor(rule_for(i)) for i in ids],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root.absolute().as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "artifacts": [{"location": _location(p, root)} for p in run.files],
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"

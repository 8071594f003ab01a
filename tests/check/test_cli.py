"""`dockhand check` end to end on real files: the text report, exit codes, --select/--ignore, inline suppressions,
folders resolved as projects (override, include, extends, .env, profiles) and usage errors."""

from __future__ import annotations

import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.check.cli import DATA, REPO, check

INVALID = DATA / "invalid"


def rules_in(report: str) -> list[str]:
    """The rule ids of a text report's findings, in order."""
    return re.findall(r"^\S+:\d+:\d+: \w+: .*\[([a-z-]+)\]$", report, re.M)


def test_a_valid_stack_is_clean_and_exits_0() -> None:
    result = check("tests/data/compose/valid/long-syntax")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "No problems found (1 file checked).\n"


def test_an_error_is_shown_at_file_line_column_with_a_caret_excerpt_and_exits_1() -> None:
    result = check("tests/data/compose/invalid/unknown-key.yaml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "tests/data/compose/invalid/unknown-key.yaml:5:5: error: Unknown key `imgae` in `services.web` (service); "
        "Compose rejects it. Did you mean `image`? [unknown-key]"
    )
    assert lines[1] == " 5 |     imgae: nginx"
    assert lines[2] == "   |     ^^^^^"
    assert lines[-1] == "2 errors (1 file checked)."
    assert "\x1b[" not in result.stdout, "no colour when stdout is not a terminal"


def test_colour_can_be_forced() -> None:
    result = check("--color", "always", "tests/data/compose/invalid/unknown-key.yaml")
    assert "\x1b[31merror\x1b[0m" in result.stdout


def test_warnings_pass_by_default_and_fail_at_a_warning_threshold() -> None:
    path = "tests/data/compose/invalid/healthcheck-missing.yaml"
    default = check(path)
    assert default.returncode == 0
    assert "warning: `web` waits for `db` to be healthy" in default.stdout
    assert check("--failure-threshold", "warning", path).returncode == 1
    assert check("--failure-threshold", "info", path).returncode == 1


def test_select_and_ignore_by_rule_id() -> None:
    path = "tests/data/compose/invalid/undefined-resources.yaml"
    everything = rules_in(check(path).stdout)
    assert sorted(everything) == ["undefined-config", "undefined-network", "undefined-secret", "undefined-volume"]
    selected = check("--select", "undefined-volume,undefined-secret", path)
    assert rules_in(selected.stdout) == ["undefined-volume", "undefined-secret"]
    ignored = check(
        "--ignore", "undefined-config", "--ignore", "undefined-network,undefined-secret,undefined-volume", path
    )
    assert ignored.returncode == 0
    assert ignored.stdout.startswith("No problems found")


def test_an_inline_comment_suppresses_a_rule_on_the_next_line_only(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  web:\n"
        "    image: nginx\n"
        "    # dockhand: ignore[unknown-key]\n"
        "    imgae: nginx\n"
        "    restat: always  # dockhand: ignore[undefined-service]\n"
        "    depends_on: [dbb]  # dockhand: ignore\n"
    )
    result = check(".", cwd=tmp_path)
    found = re.findall(r"^compose\.yaml:(\d+):\d+: error: .*\[([a-z-]+)\]$", result.stdout, re.M)
    assert found == [("6", "unknown-key")], "only `restat` stays: its comment names another rule"


def test_a_folder_is_checked_as_its_projects(tmp_path: Path) -> None:
    """The override, an included project, an `extends` fragment and `.env` are resolved as the editor does: the
    override's typo and the included file's error are found, the fragment is not checked alone (it has no image
    by design), and the variable from `.env` is set."""
    (tmp_path / ".env").write_text("TAG=1.25\n")
    (tmp_path / "compose.yaml").write_text(
        "include: [db/compose.yaml]\n"
        "services:\n"
        "  web:\n"
        "    image: nginx:${TAG}\n"
        "    extends: {file: base.yaml, service: base}\n"
        "    depends_on: [db]\n"
        "  debug:\n"
        "    image: busybox\n"
        "    profiles: [debug]\n"
    )
    (tmp_path / "compose.override.yaml").write_text("services:\n  web:\n    restat: always\n")
    (tmp_path / "base.yaml").write_text("services:\n  base:\n    environment: {MODE: prod}\n")
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "compose.yaml").write_text("services:\n  db:\n    image: postgres\n    networks: [back]\n")
    result = check("--format", "json", ".", cwd=tmp_path)
    import json

    report = json.loads(result.stdout)
    assert sorted(report["files"]) == ["base.yaml", "compose.override.yaml", "compose.yaml", "db/compose.yaml"]
    assert [(f["path"], f["line"], f["rule"]) for f in report["findings"]] == [
        ("compose.override.yaml", 3, "unknown-key"),
        ("db/compose.yaml", 4, "undefined-network"),
    ]
    assert result.returncode == 1


def test_usage_errors_exit_2_with_a_remedy(tmp_path: Path) -> None:
    missing = check("no/such/compose.yaml")
    assert missing.returncode == 2
    assert "no such file or folder: no/such/compose.yaml" in missing.stderr
    typo = check("--select", "unknown-keys", "tests/data")
    assert typo.returncode == 2
    assert "unknown rule id `unknown-keys`. Did you mean `unknown-key`?" in typo.stderr
    assert check("--format", "xml", "tests/data").returncode == 2
    (tmp_path / "notes.yaml").write_text("title: not a compose file\n")
    nothing = check(".", cwd=tmp_path)
    assert nothing.returncode == 2, "a folder without compose files is a wrong path, not a clean result"
    assert "no compose files in ." in nothing.stderr
    forced = check("--compose", "tests/data/compose/valid/long-syntax")
    assert forced.returncode == 2
    assert "no Compose v2 binary found" in forced.stderr


def test_list_rules_names_every_rule_with_its_default_severity() -> None:
    result = check("--list-rules")
    assert result.returncode == 0
    assert re.search(r"^bad-volume-spec\s+error\s+Malformed volume spec$", result.stdout, re.M)
    assert re.search(r"^unset-variable\s+warning\s", result.stdout, re.M)


def test_the_console_script_keeps_the_language_server_and_adds_check() -> None:
    script = shutil.which("dockhand", path=str(Path(sys.executable).parent))
    assert script is not None
    import subprocess

    helped = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert "--tcp HOST:PORT" in helped.stdout and "dockhand check" in helped.stdout
    checked = subprocess.run(
        [script, "check", "--no-compose", "tests/data/compose/invalid/no-image.yaml"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert checked.returncode == 1
    assert "[no-image-or-build]" in checked.stdout


def test_control_characters_in_a_file_never_reach_the_terminal(tmp_path: Path) -> None:
    # a raw ESC is not YAML, but the escape `\\e` in a quoted key puts one into the key, and so into the message
    (tmp_path / "compose.yaml").write_text('services:\n  web:\n    image: nginx\n    "x\\e[2Jy": 1\n')
    result = check(".", cwd=tmp_path)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    assert "Unknown key `x\ufffd[2Jy`" in result.stdout
    junit = check("--format", "junit", ".", cwd=tmp_path).stdout
    assert "\x1b" not in junit
    ET.fromstring(junit)  # still well-formed XML

"""Every machine format of `dockhand check` on real files: JSON, SARIF 2.1.0 (validated against the official schema
with jsonschema), GitHub workflow annotations and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema

from tests.check.cli import REPO, check

SCHEMA = REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
TARGETS = ("tests/data/compose/invalid", "tests/data/compose/valid/long-syntax")


def sarif_of(*args: str, cwd: Path = REPO) -> dict[str, Any]:
    result = check("--format", "sarif", *args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return dict(json.loads(result.stdout))


def test_json_lists_files_findings_and_a_summary() -> None:
    result = check("--format", "json", "tests/data/compose/invalid/port-clash.yaml")
    report = json.loads(result.stdout)
    assert report["files"] == ["tests/data/compose/invalid/port-clash.yaml"]
    first = report["findings"][0]
    assert {k: first[k] for k in ("rule", "severity", "path", "line", "column", "endLine", "endColumn")} == {
        "rule": "port-clash",
        "severity": "warning",
        "path": "tests/data/compose/invalid/port-clash.yaml",
        "line": 6,
        "column": 13,
        "endLine": 6,
        "endColumn": 22,
    }
    assert first["related"] == [
        {
            "path": "tests/data/compose/invalid/port-clash.yaml",
            "line": 9,
            "column": 13,
            "message": "also published by admin",
        }
    ]
    assert report["summary"] == {"error": 0, "warning": 2, "info": 0, "hint": 0}
    assert result.returncode == 0, "warnings only, below the default threshold"


def test_sarif_validates_against_the_official_2_1_0_schema() -> None:
    log = sarif_of(*TARGETS)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)  # raises with the first violation
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert len(results) > 20


def test_sarif_rules_carry_ids_help_and_levels_and_results_point_at_them() -> None:
    run = sarif_of(*TARGETS)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["unknown-key"]["help"]["text"].startswith("Compose rejects keys")
    assert by_id["unset-variable"]["defaultConfiguration"]["level"] == "warning"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["artifactLocation"]["uri"].startswith("tests/data/compose/")
        assert result["partialFingerprints"]["dockhand/v1"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"
    typo = next(
        r
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("/unknown-key.yaml")
    )
    assert typo["level"] == "error"
    assert typo["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5,
        "startColumn": 5,
        "endLine": 5,
        "endColumn": 10,
    }


def typo_in(log: dict[str, Any]) -> dict[str, Any]:
    return dict(next(r for r in log["runs"][0]["results"] if r["ruleId"] == "unknown-key"))


def test_sarif_fingerprints_survive_lines_moving(tmp_path: Path) -> None:
    """Code scanning matches alerts across commits by fingerprint: inserting lines above must not change it."""
    text = "services:\n  web:\n    imgae: nginx\n"
    (tmp_path / "compose.yaml").write_text(text)
    before = typo_in(sarif_of(".", cwd=tmp_path))
    (tmp_path / "compose.yaml").write_text("# a comment\n\n" + text)
    after = typo_in(sarif_of(".", cwd=tmp_path))
    assert after["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert after["partialFingerprints"] == before["partialFingerprints"]


def test_github_annotations_escape_and_locate_each_finding() -> None:
    result = check(
        "--format",
        "github",
        "tests/data/compose/invalid/healthcheck-missing.yaml",
        "tests/data/compose/invalid/no-image.yaml",
    )
    lines = result.stdout.splitlines()
    assert lines == [
        "::warning file=tests/data/compose/invalid/healthcheck-missing.yaml,line=7,col=7,endLine=7,title=dockhand "
        "healthcheck-missing,endColumn=9::`web` waits for `db` to be healthy, but `db` has no healthcheck here "
        "(unless its image defines one, `up` fails). Add a `healthcheck:` to `db` or use `condition: "
        "service_started`.",
        "::error file=tests/data/compose/invalid/no-image.yaml,line=4,col=3,endLine=4,title=dockhand "
        "no-image-or-build,endColumn=6::Service `web` has neither `image:` nor `build:`; Compose cannot create it. "
        "Add one of them.",
    ]
    assert result.returncode == 1


def test_junit_has_a_suite_per_file_and_a_failure_per_finding() -> None:
    result = check(
        "--format", "junit", "tests/data/compose/invalid/unknown-key.yaml", "tests/data/compose/valid/long-syntax"
    )
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {
        "tests/data/compose/invalid/unknown-key.yaml",
        "tests/data/compose/valid/long-syntax/compose.yaml",
    }
    failures = [f.get("message") for f in suites["tests/data/compose/invalid/unknown-key.yaml"].iter("failure")]
    assert failures[0] == "Unknown key `imgae` in `services.web` (service); Compose rejects it. Did you mean `image`?"
    assert not list(suites["tests/data/compose/valid/long-syntax/compose.yaml"].iter("failure"))


def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    result = check("--format", "sarif", "--output", str(out), "tests/data/compose/invalid/no-image.yaml")
    assert result.returncode == 1
    assert result.stdout == ""
    assert json.loads(out.read_text())["runs"][0]["results"][0]["ruleId"] == "no-image-or-build"


def test_junit_fails_only_what_fails_the_run(tmp_path: Path) -> None:
    """Warnings below --failure-threshold pass (their text as output), so JUnit's red agrees with the exit code."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  a: {image: busybox, ports: ['8080:80']}\n"
        "  b: {image: busybox, ports: ['8080:80']}\n"
        "  c: {imgae: busybox}\n"
    )
    for threshold, exit_code in (("error", 1), ("warning", 1)):
        result = check(
            "--no-compose", "--format", "junit", "--failure-threshold", threshold, "compose.yaml", cwd=tmp_path
        )
        assert result.returncode == exit_code, result.stderr
        cases = list(ET.fromstring(result.stdout).iter("testcase"))
        failed = [c for c in cases if c.find("failure") is not None]
        passed_with_text = [c for c in cases if c.find("system-out") is not None]
        kinds = {c.find("failure").get("type") for c in failed}  # type: ignore[union-attr]
        warned = [c for c in cases if "port-clash" in str(c.get("name"))]
        assert warned, result.stdout
        if threshold == "error":
            assert kinds == {"error"} and set(warned) <= set(passed_with_text)
        else:
            assert kinds == {"error", "warning"} and not passed_with_text
        assert ET.fromstring(result.stdout).get("failures") == str(len(failed))

"""Interpolation and .env parsing behave like Compose's."""

from __future__ import annotations

import pytest

from dockhand.compose.interpolation import interpolate, parse_env_file

ENV = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain", "plain"),
        ("$SET and ${SET}", "value and value"),
        ("${EMPTY:-fallback}|${EMPTY-fallback}", "fallback|"),
        ("${UNSET:-fallback}|${UNSET-fallback}", "fallback|fallback"),
        ("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}", "alt||alt"),
        ("${UNSET:-${SET}}", "value"),
        ("$$SET costs $$5", "$SET costs $5"),
        ("price: $", "price: $"),
    ],
)
def test_substitution(template: str, expected: str) -> None:
    result, findings = interpolate(template, ENV)
    assert (result, findings) == (expected, [])


def test_unset_without_default_is_a_warning_and_blank() -> None:
    result, (finding,) = interpolate("x${NOPE}y", ENV)
    assert result == "xy"
    assert (finding.code, finding.severity, finding.variable) == ("unset-variable", "warning", "NOPE")
    assert "${NOPE:-value}" in finding.message


def test_required_variable_carries_its_message() -> None:
    _result, (finding,) = interpolate("${TAG:?set TAG first}", ENV)
    assert finding.code == "required-variable" and "set TAG first" in finding.message
    assert interpolate("${EMPTY?only unset fails}", ENV) == ("", [])


def test_unclosed_brace_is_a_template_error() -> None:
    result, (finding,) = interpolate("a ${OPEN", ENV)
    assert finding.code == "bad-template" and result == "a ${OPEN"


def test_env_file_quotes_comments_export_and_references() -> None:
    text = "export A=1\nB=\"two words\"  \nC='${A} literal'\nD=${A}-x # comment\n# skipped\nnot a line\nE=\n"
    assert parse_env_file(text) == {"A": "1", "B": "two words", "C": "${A} literal", "D": "1-x", "E": ""}

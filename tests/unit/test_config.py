"""Settings: environment, initializationOptions, validation with remediations."""

from __future__ import annotations

import os

import pytest

from dockhand.config import Settings, describe
from dockhand.errors import DiagnosticError


def test_defaults_without_environment() -> None:
    s = Settings.load(env={})
    assert s.health_interval_s == 5.0 and s.code_lens is True and s.discovery_roots == ()


def test_environment_is_typed() -> None:
    s = Settings.load(
        env={
            "DOCKHAND_HEALTH_INTERVAL_S": "2.5",
            "DOCKHAND_CODE_LENS": "off",
            "DOCKHAND_DISCOVERY_ROOTS": os.pathsep.join(["/a", "/b"]),
            "DOCKHAND_TRACE_PROVIDER": "jaeger",
        }
    )
    assert s.health_interval_s == 2.5
    assert s.code_lens is False
    assert s.discovery_roots == ("/a", "/b")
    assert s.trace_provider == "jaeger"


def test_initialization_options_win_over_environment() -> None:
    s = Settings.load(env={"DOCKHAND_OTLP_PORT": "4000"}, options={"otlpPort": 4500, "unknownKey": 1})
    assert s.otlp_port == 4500
    assert s.with_options({"codeLens": False}).code_lens is False


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"DOCKHAND_HEALTH_INTERVAL_S": "soon"}, "not a valid float"),
        ({"DOCKHAND_HEALTH_INTERVAL_S": "0"}, "below its minimum"),
        ({"DOCKHAND_TRACE_PROVIDER": "datadog"}, "not one of"),
        ({"DOCKHAND_CODE_LENS": "maybe"}, "not a valid bool"),
    ],
)
def test_bad_values_raise_with_remediation(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(DiagnosticError) as err:
        Settings.load(env=env)
    assert fragment in err.value.message
    assert next(iter(env)) in err.value.remediation


def test_every_setting_is_documented() -> None:
    rows = describe()
    assert all(name.startswith("DOCKHAND_") and doc for name, _, doc in rows)
    assert len({name for name, _, _ in rows}) == len(rows)


def test_readme_documents_every_setting() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _, _ in describe() if f"`{name}`" not in readme]
    assert missing == [], f"README.md's settings table lacks {missing}"

"""The extension's own logic without VS Code: node's test runner on tests/extension/*.test.ts, and the settings
manifest checked against the server's Settings so every DOCKHAND_* option has a matching dockhand.* setting."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dockhand.config import Settings

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
UNIT_TESTS = sorted(p.name.removesuffix(".ts") for p in Path(__file__).parent.glob("*.test.ts"))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@pytest.fixture(scope="module")
def compiled_tests() -> Path:
    """Bundle the TypeScript unit tests with the extension's own esbuild (installed by scripts/build-extension)."""
    if not (EXTENSION / "node_modules" / ".bin" / "esbuild").exists():
        pytest.fail("extension/node_modules is missing: run scripts/setup (or scripts/build-extension) first")
    subprocess.run(["npm", "run", "-s", "build-tests"], cwd=EXTENSION, check=True, capture_output=True)
    return EXTENSION / "out" / "tests"


@pytest.mark.parametrize("name", UNIT_TESTS)
def test_node_unit_tests(compiled_tests: Path, name: str) -> None:
    node = shutil.which("node")
    assert node, "node is required for the extension's unit tests"
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "DOCKHAND_TEST_PYTHON": sys.executable}
    run = subprocess.run(
        [node, "--test", "--test-reporter=spec", str(compiled_tests / f"{name}.js")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout or "fail 0" in run.stdout or "✔" in run.stdout


def test_every_server_option_is_a_setting_with_the_same_default_and_limits() -> None:
    properties = json.loads((EXTENSION / "package.json").read_text())["contributes"]["configuration"]["properties"]
    for field in dataclasses.fields(Settings):
        key = f"dockhand.{_camel(field.name)}"
        assert key in properties, (
            f"DOCKHAND_{field.name.upper()} has no setting {key}: run scripts/sync-extension-settings"
        )
        prop = properties[key]
        default = list(field.default) if isinstance(field.default, tuple) else field.default
        assert prop["default"] == default, f"{key}: run scripts/sync-extension-settings"
        expected_type = {bool: "boolean", int: "integer", float: "number", str: "string", tuple: "array"}
        assert prop["type"] == expected_type[type(field.default)], key
        assert prop.get("minimum") == field.metadata["minimum"], key
        assert tuple(prop.get("enum", ())) == field.metadata["choices"], key
    server_keys = {f"dockhand.{_camel(f.name)}" for f in dataclasses.fields(Settings)}
    client_only = {"dockhand.server.python", "dockhand.server.importStrategy", "dockhand.trace.server"}
    assert set(properties) - server_keys == client_only, "a setting the server does not know would be sent for nothing"


def _manifest() -> dict[str, Any]:
    return dict(json.loads((EXTENSION / "package.json").read_text()))


def test_untrusted_workspaces_get_no_lifecycle_actions_and_no_program_settings() -> None:
    manifest = _manifest()
    trust = manifest["capabilities"]["untrustedWorkspaces"]
    assert trust["supported"] == "limited"
    assert {"dockhand.server.python", "dockhand.composeBinary"} <= set(trust["restrictedConfigurations"])
    commands = {c["command"]: c for c in manifest["contributes"]["commands"]}
    for lifecycle in ("start", "stop", "restart", "upAll", "downAll"):
        assert commands[f"dockhand.view.{lifecycle}"].get("enablement") == "isWorkspaceTrusted", lifecycle
    # The graph's node menu restarts too (the command also checks trust itself, and the server refuses untrusted).
    assert commands["dockhand.graph.restartService"].get("enablement") == "isWorkspaceTrusted"


def test_every_contributed_command_is_registered_and_every_menu_names_one() -> None:
    manifest = _manifest()
    declared = {c["command"] for c in manifest["contributes"]["commands"]}
    sources = "\n".join(p.read_text() for p in (EXTENSION / "src").rglob("*.ts"))
    registered = set(re.findall(r"registerCommand\(\s*'([^']+)'", sources))
    assert declared <= registered, f"declared but never registered: {sorted(declared - registered)}"
    menus = manifest["contributes"]["menus"]
    named = {entry["command"] for entries in menus.values() for entry in entries}
    assert named <= declared, f"menus name unknown commands: {sorted(named - declared)}"

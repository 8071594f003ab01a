"""Every process Dockhand starts is an argv list: no shell, ever — an AST scan of the server's source."""

from __future__ import annotations

import ast
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "server" / "dockhand"

# Calls that start a process from an argv list; their first argument must be one.
ARGV_STARTERS = {"run", "Popen", "call", "check_call", "check_output"}
EXEC_STARTERS = {"create_subprocess_exec"}
# Calls that go through a shell by design: never allowed.
SHELL_STARTERS = {
    ("asyncio", "create_subprocess_shell"),
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "dash", "zsh", "cmd", "cmd.exe", "powershell"}


def _dotted(node: ast.expr) -> tuple[str, str]:
    """('subprocess', 'run') for `subprocess.run`, ('', 'run') for a bare `run`."""
    if isinstance(node, ast.Attribute):
        owner = node.value
        base = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
        return base, node.attr
    if isinstance(node, ast.Name):
        return "", node.id
    return "", ""


def _is_argv(node: ast.expr, assignments: dict[str, list[ast.expr]], depth: int = 0) -> bool:
    """A list/tuple display, a starred or comprehension, an argv-building call — or a name only ever bound to one."""
    if isinstance(node, ast.List | ast.Tuple | ast.ListComp | ast.Starred):
        return True
    if isinstance(node, ast.Call):  # e.g. cli.argv(...), list(...): never a string-building method
        _, name = _dotted(node.func)
        return name not in {"join", "format", "replace", "strip", "str", "quote"}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # [a] + rest
        return _is_argv(node.left, assignments, depth) and _is_argv(node.right, assignments, depth)
    if isinstance(node, ast.Name) and depth < 5:
        bound = assignments.get(node.id, [])
        return bool(bound) and all(_is_argv(value, assignments, depth + 1) for value in bound)
    return False


def _starts_a_shell(argv: ast.expr) -> bool:
    """`["sh", "-c", ...]`: a shell smuggled in through an argv list."""
    first = argv.elts[0] if isinstance(argv, ast.List | ast.Tuple) and argv.elts else argv
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and Path(first.value).name in SHELLS


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Each place in `source` that starts a process through a shell or from something not provably an argv."""
    tree = ast.parse(source, filename)
    found: list[str] = []
    scopes: list[ast.AST] = [
        tree,
        *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
    ]
    for scope in scopes:
        assignments: dict[str, list[ast.expr]] = {}
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assignments.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                assignments.setdefault(node.target.id, []).append(node.value)
        calls = [n for n in ast.walk(scope) if isinstance(n, ast.Call)]
        for call in calls:
            where = f"{filename}:{call.lineno}"
            owner, name = _dotted(call.func)
            for keyword in call.keywords:
                if keyword.arg == "shell" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    found.append(f"{where}: shell= other than False")
            if (owner, name) in SHELL_STARTERS or name == "create_subprocess_shell":
                found.append(f"{where}: {owner}.{name} runs a shell")
            if (owner == "subprocess" and name in ARGV_STARTERS) or (owner == "" and name in {"Popen"}):
                argv = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "args"), None)
                if argv is None or not _is_argv(argv, assignments):
                    found.append(f"{where}: subprocess.{name} is not given an argv list")
                elif _starts_a_shell(argv):
                    found.append(f"{where}: subprocess.{name} starts a shell through its argv")
            if name in EXEC_STARTERS and call.args and _starts_a_shell(call.args[0]):
                found.append(f"{where}: {name} starts a shell")
    return sorted(set(found))


def test_the_server_starts_processes_from_argv_lists_only() -> None:
    files = sorted(SOURCE.rglob("*.py"))
    assert len(files) > 5
    problems = [v for path in files for v in violations(path.read_text(), str(path.relative_to(ROOT)))]
    assert problems == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import subprocess\nsubprocess.run('docker ps', shell=True)",
        "import subprocess\nsubprocess.run(['docker', 'ps'], shell=True)",
        "import subprocess\nsubprocess.Popen(f'docker compose -p {name} up')",
        "import subprocess\ncmd = 'docker ' + arg\nsubprocess.check_output(cmd)",
        "import subprocess\nsubprocess.run(' '.join(argv))",
        "import subprocess\nsubprocess.run(['sh', '-c', 'docker ps'])",
        "import asyncio\nasync def f():\n    await asyncio.create_subprocess_shell('docker ps')",
        "import asyncio\nasync def f():\n    await asyncio.create_subprocess_exec('/bin/sh', '-c', 'x')",
        "import os\nos.system('docker ps')",
        "import os\nos.popen('docker ps')",
        "import subprocess\nsubprocess.getoutput('docker ps')",
    ],
)
def test_the_scan_catches_each_way_of_reaching_a_shell(snippet: str) -> None:
    assert violations(textwrap.dedent(snippet)) != []


@pytest.mark.parametrize(
    "snippet",
    [
        "import subprocess\nsubprocess.run(['docker', 'ps'], check=False)",
        "import subprocess\ndef f(cli, args):\n    argv = [*cli.prefix, *args]\n    subprocess.run(argv)",
        "import subprocess\nsubprocess.run(cli.argv('ps'))",
        "import asyncio\nasync def f(cli):\n    await asyncio.create_subprocess_exec(*cli.argv('up'))",
    ],
)
def test_the_scan_accepts_argv_lists(snippet: str) -> None:
    assert violations(snippet) == []


def test_ruff_keeps_the_shell_rules_on() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lint = config["tool"]["ruff"]["lint"]
    selected = set(lint["select"])
    assert {"S602", "S603", "S604", "S605"} <= selected
    server_ignores = {
        rule for pattern, rules in lint.get("per-file-ignores", {}).items() if "server" in pattern for rule in rules
    }
    assert not server_ignores & {"S602", "S604", "S605"}

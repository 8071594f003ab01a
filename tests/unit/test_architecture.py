"""The house rules, read from the package's own imports (an AST walk, no import executed): compose/ is pure,
runtime/ and telemetry/ never reach into lsp/, and no module imports itself back through others.

Counted: every `import`/`from … import` anywhere in a module, at module level and inside functions alike (a
function-level import still ties the two modules together; it only hides the circle from the start-up order).
Not counted: imports under `if TYPE_CHECKING:` (they never run). Failures name the importing file and line."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "server" / "dockhand"
PACKAGE = "dockhand"

COMPOSE_THIRD_PARTY = {"yaml", "networkx"}
COMPOSE_ALLOWED_DOCKHAND = ("dockhand.compose", "dockhand.config", "dockhand.errors")


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. dockhand.compose.loader
    target: str  # the imported module (dotted), resolved to a dockhand module where it is one
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path.relative_to(PACKAGE_DIR.parents[1])}:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement except those inside `if TYPE_CHECKING:` (their `else:` branch still counts)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out: list[Import] = []
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            out.extend(Import(name, alias.name, path, node.lineno) for alias in node.names)
            continue
        base = node.module or ""
        if node.level:  # relative: resolve against this module's package
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            out.append(Import(name, submodule if submodule in modules else base, path, node.lineno))
    return out


def all_imports() -> list[Import]:
    modules = package_modules()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def _top(target: str) -> str:
    return target.split(".", 1)[0]


def _inside(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def forbidden_imports(imports: list[Import]) -> list[str]:
    """Each broken layer rule as `file:line: importer imports target (why)`."""
    broken = []
    for imp in imports:
        if _inside(imp.importer, "dockhand.compose"):
            top = _top(imp.target)
            stdlib = top in sys.stdlib_module_names
            allowed = (
                stdlib
                or top in COMPOSE_THIRD_PARTY
                or any(_inside(imp.target, prefix) for prefix in COMPOSE_ALLOWED_DOCKHAND)
            )
            if not allowed:
                broken.append(f"{imp.where()}: {imp.importer} imports {imp.target} (compose/ is the pure model)")
            elif imp.target == "threading":
                broken.append(f"{imp.where()}: {imp.importer} imports threading (compose/ holds no thread state)")
        if (_inside(imp.importer, "dockhand.runtime") or _inside(imp.importer, "dockhand.telemetry")) and _inside(
            imp.target, "dockhand.lsp"
        ):
            broken.append(f"{imp.where()}: {imp.importer} imports {imp.target} (runtime/telemetry never reach lsp/)")
    return list(dict.fromkeys(broken))


def import_cycles(imports: list[Import]) -> list[str]:
    """One circle per strongly connected group of modules, each step with the file:line that makes it."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    first_site: dict[tuple[str, str], Import] = {}
    for imp in imports:
        if _top(imp.target) != PACKAGE or imp.target == imp.importer:
            continue
        graph.add_edge(imp.importer, imp.target)
        first_site.setdefault((imp.importer, imp.target), imp)
    found = []
    for group in nx.strongly_connected_components(graph):
        if len(group) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(group))
        steps = [f"  {first_site[edge].where()}: {edge[0]} imports {edge[1]}" for edge in cycle]
        found.append(f"circle through {', '.join(sorted(group))}:\n" + "\n".join(steps))
    return found


def test_the_walk_sees_the_package() -> None:
    imports = all_imports()
    assert {"dockhand.compose.loader", "dockhand.lsp.server", "dockhand.runtime.engine"} <= {
        i.importer for i in imports
    }
    assert any(i.importer == "dockhand.compose.graph" and i.target == "networkx" for i in imports)


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """The checks themselves can fail: a pure module importing the editor protocol and a two-module circle."""
    fake = PACKAGE_DIR / "compose" / "loader.py"
    made_up = [
        Import("dockhand.compose.loader", "lsprotocol.types", fake, 3),
        Import("dockhand.runtime.engine", "dockhand.lsp.server", fake, 4),
        Import("dockhand.a", "dockhand.b", fake, 5),
        Import("dockhand.b", "dockhand.a", fake, 6),
    ]
    assert len(forbidden_imports(made_up)) == 2
    (circle,) = import_cycles(made_up)
    assert "compose/loader.py:5" in circle and "compose/loader.py:6" in circle


def test_type_checking_imports_do_not_count() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\nelse:\n    import b\n")
    assert [alias.name for node in _import_nodes(tree) for alias in node.names] == ["TYPE_CHECKING", "b"]


def test_compose_runtime_and_telemetry_keep_their_layer() -> None:
    broken = forbidden_imports(all_imports())
    assert not broken, "imports that break the layers:\n" + "\n".join(broken)


def test_no_import_circles() -> None:
    circles = import_cycles(all_imports())
    assert not circles, "import circles (function-level imports count too):\n" + "\n".join(circles)

"""Node → plain data with interpolation and `!reset`/`!override` markers, and Compose's rules for merging files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dockhand.compose.document import EXPANSION_BUDGET, AliasBombError, Node, Problem
from dockhand.compose.interpolation import Finding, interpolate
from dockhand.compose.nodes import NodeMemo, ScalarNode, fast_materialize


class Reset:
    """`!reset` in an override file: drop the value inherited from earlier files."""

    def __repr__(self) -> str:
        return "!reset"


RESET = Reset()


class Override:
    """`!override` in an override file: replace instead of merging."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"!override {self.value!r}"


ProblemSink = Callable[[Problem], None]

# Lists that a later file replaces instead of extending (compose-go's override rules).
_REPLACED_LISTS = {"command", "entrypoint", "test", "dns", "dns_search", "profiles", "cap_add", "cap_drop"}
# Keys whose list form (`- KEY=value`) Compose turns into a mapping before merging.
_MAP_LIKE = {"environment", "labels", "annotations", "sysctls", "args", "extra_hosts"}


class Materializer:
    """Turns one document's nodes into data, interpolating strings and reporting findings at the scalar."""

    def __init__(self, uri: str, env: Mapping[str, str], report: ProblemSink, remember: bool = False) -> None:
        self.uri = uri
        self.env = env
        self.report = report
        self._interpolated: dict[str, tuple[str, list[Finding]]] = {}
        self.budget = [EXPANSION_BUDGET]
        # Only for documents without aliases: a remembered entry skips the alias-expansion budget.
        self.remember = remember
        self._env_key = _env_key(env) if remember else 0

    def table(self, node: Node) -> Any:
        """A top-level table (`services:`) whose entries' data is remembered per node: nodes are immutable and an
        edit re-parses one service (incremental.py), so the others are not materialised again."""
        if not self.remember or node.kind != "map" or node.tag:
            return self.value(node)
        out: dict[Any, Any] = {}
        for k, v in node.items:
            key = k.value if k.kind == "scalar" else str(k.to_python())
            if key not in out:
                out[key] = self._remembered(v)
        return out

    def _remembered(self, node: Node) -> Any:
        value, found = _materialized.get(node, (self.uri, self._env_key), lambda: self._value_and_findings(node))
        for problem in found:
            self.report(problem)
        return value

    def _value_and_findings(self, node: Node) -> tuple[Any, tuple[Problem, ...]]:
        report = self.report
        found: list[Problem] = []
        self.report = found.append
        try:
            return self.value(node), tuple(found)
        finally:
            self.report = report

    def value(self, node: Node) -> Any:
        """The node's data, interpolated, with Reset/Override markers; raises AliasBombError past the budget."""
        if fast_materialize is not None:  # the same walk in C (_fastcompose.c); it hands tagged nodes to _walk
            return fast_materialize(node, self._interpolate, self._walk, self.budget)
        return self._walk(node)

    def _walk(self, node: Node) -> Any:
        budget = self.budget
        budget[0] -= 1
        if budget[0] < 0:
            raise AliasBombError
        tag = node.tag
        if tag == "!reset":
            return RESET
        kind = node.kind
        if kind == "scalar":
            out: Any = node.value
            if isinstance(out, str) and "$" in out:
                out = self._interpolate(node, out)
        elif kind == "seq":
            out = []
            for c in node.children:
                v = c.value
                if c.__class__ is ScalarNode and not c.tag and not (v.__class__ is str and "$" in v):
                    budget[0] -= 1  # a plain scalar is its value: no call needed (most of a compose file)
                    out.append(v)
                else:
                    out.append(self.value(c))
        else:
            out = {}
            for k, c in node.items:
                key = k.value if k.kind == "scalar" else str(k.to_python())
                if key in out:
                    continue
                v = c.value
                if c.__class__ is ScalarNode and not c.tag and not (v.__class__ is str and "$" in v):
                    budget[0] -= 1
                    out[key] = v
                else:
                    out[key] = self.value(c)
        if budget[0] < 0:
            raise AliasBombError
        return Override(out) if tag == "!override" else out

    def _interpolate(self, node: Node, text: str) -> str:
        known = self._interpolated.get(text)  # the same `${LOG_LEVEL:-info}` recurs in service after service
        if known is None:
            known = self._interpolated[text] = interpolate(text, self.env)
        result, findings = known
        for f in findings:
            self.report(
                Problem(f.code, f.message, self.uri, node.span, "warning" if f.severity == "warning" else "error")
            )
        return result


_materialized: NodeMemo[tuple[Any, tuple[Problem, ...]]] = NodeMemo()
"""Data and findings per service node (for one file and interpolation environment)."""
_environments: list[tuple[dict[str, str], int]] = []


def _env_key(env: Mapping[str, str]) -> int:
    """A number per distinct interpolation environment (the data of a node depends on it); the last few kept."""
    for known, key in _environments:
        if known == env:
            return key
    key = (_environments[-1][1] + 1) if _environments else 1
    _environments.append((dict(env), key))
    del _environments[:-8]
    return key


def strip_markers(value: Any) -> Any:
    """Data without Reset/Override markers (what a single file means on its own)."""
    if isinstance(value, Override):
        return strip_markers(value.value)
    if isinstance(value, dict):
        return {k: strip_markers(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [strip_markers(v) for v in value if not isinstance(v, Reset)]
    return value


def normalize_service(data: Any) -> dict[str, Any]:
    """List forms → mappings where Compose merges by key (environment, labels, depends_on, networks, args)."""
    if not isinstance(data, dict):
        return {}
    out = dict(data)
    for key in _MAP_LIKE & out.keys():
        out[key] = _list_to_map(out[key])
    build = out.get("build")
    if isinstance(build, dict) and "args" in build:
        out["build"] = {**build, "args": _list_to_map(build["args"])}
    if isinstance(out.get("depends_on"), list):
        out["depends_on"] = {
            str(n): {"condition": "service_started", "required": True} for n in out["depends_on"] if n is not None
        }
    if isinstance(out.get("networks"), list):
        out["networks"] = {str(n): None for n in out["networks"] if n is not None}
    return out


def _list_to_map(value: Any) -> Any:
    if isinstance(value, Override):
        return Override(_list_to_map(value.value))
    if not isinstance(value, list):
        return value
    out: dict[str, Any] = {}
    for item in value:
        if not isinstance(item, str):
            continue
        if "=" in item:
            k, _, v = item.partition("=")
            out[k] = v
        elif ":" in item and not item.startswith("["):  # extra_hosts "host:ip"
            k, _, v = item.partition(":")
            out[k] = v
        else:
            out[item] = None
    return out


def merge(base: Any, over: Any, key: str | None = None) -> Any:
    """`over` (a later file) merged onto `base` the way Compose merges override files."""
    if isinstance(over, Reset):
        return RESET
    if isinstance(over, Override):
        return strip_markers(over.value)
    if isinstance(base, Override):
        base = base.value
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if k in out:
                merged = merge(out[k], v, k)
                if isinstance(merged, Reset):
                    del out[k]
                else:
                    out[k] = merged
            elif not isinstance(v, Reset):
                out[k] = v  # markers inside stay until the final strip_markers: a later file may still need them
        return out
    if isinstance(base, list) and isinstance(over, list):
        if key in _REPLACED_LISTS:
            return strip_markers(over)
        extra = [strip_markers(v) for v in over if v not in base and not isinstance(v, Reset)]
        return [*base, *extra]
    return strip_markers(over)

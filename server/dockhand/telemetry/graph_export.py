"""The dependency graph as text (pure): Mermaid `flowchart` and Graphviz DOT, from a dockhand/graph payload.

Both draw the same picture as the editor's view: declared edges solid and labelled with their condition, observed
calls dashed with calls/s, error rate and p95; undeclared calls red, declared-but-never-called edges grey; nodes
named by service and coloured by health.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FORMATS = ("mermaid", "dot")

_TONE_COLOURS = {
    "ok": "#2e7d32",
    "warn": "#f9a825",
    "bad": "#c62828",
    "off": "#757575",
    "external": "#5c6bc0",
}
_VERDICT_COLOURS = {"undeclared": "#c62828", "uncalled": "#9e9e9e"}
_CONDITION_WORDS = {
    "service_started": "started",
    "service_healthy": "healthy",
    "service_completed_successfully": "completed",
}


def node_tone(node: Mapping[str, Any]) -> str:
    """ok / warn / bad / off / external: the colour family of a node, the same rule as the editor's view."""
    if node.get("external"):
        return "external"
    state, health = str(node.get("state", "")), str(node.get("health", ""))
    if state == "running":
        if health == "unhealthy":
            return "bad"
        return "warn" if health in ("starting", "restarting") else "ok"
    if state in ("restarting", "paused"):
        return "warn"
    if state in ("exited", "dead") and node.get("exitCode"):
        return "bad"
    return "off"


def edge_label(edge: Mapping[str, Any]) -> str:
    """ "healthy · 1.2/s · 3% err · p95 12 ms": the condition of a declared edge, the figures of an observed one."""
    parts = []
    if edge.get("declared"):
        condition = edge.get("condition")
        parts.append(_CONDITION_WORDS.get(condition, condition) if condition else str(edge.get("kind", "")))
    if edge.get("observed"):
        parts.append(f"{edge.get('callsPerS', 0):g}/s")
        if edge.get("errorRate"):
            parts.append(f"{edge['errorRate']:.0%} err")
        if edge.get("p95Ms") is not None:
            parts.append(f"p95 {_ms(edge['p95Ms'])}")
    if edge.get("verdict") == "undeclared":
        parts.append("not declared")
    elif edge.get("verdict") == "uncalled":
        parts.append("never called")
    return " · ".join(p for p in parts if p)


def _ms(value: float) -> str:
    """12 ms, 3.4 ms, 0.42 ms: two significant figures below 10 ms (a fast call is not "0 ms")."""
    return f"{value:.0f} ms" if value >= 10 else f"{value:.2g} ms"


def _mermaid_id(name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(model: Mapping[str, Any]) -> str:
    """A Mermaid flowchart (left to right, dependencies on the right)."""
    lines = ["flowchart LR"]
    for node in model.get("nodes", []):
        name = str(node["name"])
        label = f"{name}<br/>{node.get('health', '')}" if node.get("health") not in (None, "", name) else name
        lines.append(f'  {_mermaid_id(name)}["{_mermaid_text(label)}"]:::{node_tone(node)}')
    styles = []
    for index, edge in enumerate(model.get("edges", [])):
        arrow = "-->" if edge.get("declared") else "-.->"
        label = edge_label(edge)
        text = f'|"{_mermaid_text(label)}"|' if label else ""
        lines.append(f"  {_mermaid_id(edge['from'])} {arrow}{text} {_mermaid_id(edge['to'])}")
        colour = _VERDICT_COLOURS.get(str(edge.get("verdict")))
        if colour:
            styles.append(f"  linkStyle {index} stroke:{colour},color:{colour}")
    lines += styles
    lines += [f"  classDef {tone} stroke:{colour},stroke-width:2px" for tone, colour in _TONE_COLOURS.items()]
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_text(text: str) -> str:
    return f'"{_dot_escape(text)}"'


def to_dot(model: Mapping[str, Any]) -> str:
    """A Graphviz digraph (`dot -Tsvg`)."""
    title = str(model.get("project") or "services")
    lines = [f"digraph {_dot_text(title)} {{", "  rankdir=LR;", '  node [shape=box, style="rounded"];']
    for node in model.get("nodes", []):
        colour = _TONE_COLOURS[node_tone(node)]
        style = ', style="rounded,dashed"' if node.get("external") else ""
        # \\n inside a DOT string is its line break
        label = f'"{_dot_escape(str(node["name"]))}\\n{_dot_escape(str(node.get("health", "")))}"'
        lines.append(f"  {_dot_text(str(node['name']))} [label={label}, color={_dot_text(colour)}{style}];")
    for edge in model.get("edges", []):
        attrs = [f"label={_dot_text(edge_label(edge))}"]
        if not edge.get("declared"):
            attrs.append("style=dashed")
        highlight = _VERDICT_COLOURS.get(str(edge.get("verdict")))
        if highlight:
            attrs += [f"color={_dot_text(highlight)}", f"fontcolor={_dot_text(highlight)}"]
        lines.append(f"  {_dot_text(str(edge['from']))} -> {_dot_text(str(edge['to']))} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def export(model: Mapping[str, Any], fmt: str) -> str:
    """The graph in `fmt` (one of FORMATS); ValueError for another format."""
    if fmt == "mermaid":
        return to_mermaid(model)
    if fmt == "dot":
        return to_dot(model)
    raise ValueError(f"unknown graph format {fmt!r}: use one of {', '.join(FORMATS)}")

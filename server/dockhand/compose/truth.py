"""`docker compose config`'s error text → Problems on the spans it points at (a key path, a service, a line).

Pure: it takes the project and Compose's message as plain data. Running Compose (in the background, cached by
content hash) is dockhand.runtime.compose_truth's part.
"""

from __future__ import annotations

import re
from pathlib import Path

from dockhand.compose.document import Node, ParsedDocument, Problem, Span
from dockhand.compose.model import ComposeProject
from dockhand.compose.uris import to_fs_path

_VALIDATING = re.compile(r"validating (?P<file>\S+?): (?P<path>[\w.\-]+) (?P<rest>.*)")
_SERVICE = re.compile(r'service "?(?P<name>[\w.\-]+)"?')
_KEY_PATH = re.compile(r"\b(?P<path>(?:services|networks|volumes|secrets|configs)(?:\[[\w.\-]+\]|\.[\w\-]+)+)")
_YAML_LINE = re.compile(r"line (?P<line>\d+)")
_ZERO = Span(0, 0, 0, 1)


def map_compose_error(project: ComposeProject, message: str) -> list[Problem]:
    """Compose's error text → a Problem on the span the message points at (a key path, a service, a line)."""
    text = message.split("failed:", 1)[-1].strip()
    lines = [ln for ln in text.splitlines() if ln.strip() and "level=warning" not in ln]
    text = lines[-1].strip() if lines else text
    first_uri = project.files[0] if project.files else next(iter(project.documents), "")
    uri, span = first_uri, _ZERO
    match = _VALIDATING.search(text)
    if match:
        path = Path(match.group("file")).absolute()
        uri = next((u for u in project.documents if to_fs_path(u) == str(path)), first_uri)
        doc = project.documents.get(uri)
        if doc is not None:
            span = _span_of_path(doc, match.group("path").split(".")) or _ZERO
    elif (path_match := _KEY_PATH.search(text)) and (found := _span_in_project(project, path_match.group("path"))):
        uri, span = found
    elif (service_match := _SERVICE.search(text)) and service_match.group("name") in project.services:
        decl = project.services[service_match.group("name")].definition
        uri, span = decl.uri, decl.name_span
    elif (line_match := _YAML_LINE.search(text)) and "yaml" in text:
        line = max(int(line_match.group("line")) - 1, 0)
        span = Span(line, 0, line, 1)
    remedy = "Fix what Compose reports here; Dockhand shows `docker compose config`'s verdict."
    return [Problem("compose-config", f"docker compose config: {text}. {remedy}", uri, span)]


def _span_in_project(project: ComposeProject, dotted: str) -> tuple[str, Span] | None:
    """`services[web].mem_limit` or `services.web.deploy.replicas` → the deepest matching key in the last file
    that has it (a later file's value is the one Compose used)."""
    parts = [p for p in re.split(r"[.\[\]]+", dotted) if p]
    best: tuple[int, str, Span] | None = None
    for uri in reversed(project.files or tuple(project.documents)):
        doc = project.documents.get(uri)
        span = _span_of_path(doc, parts) if doc is not None else None
        if span is not None:
            depth = _depth_of_path(doc, parts) if doc is not None else 0
            if best is None or depth > best[0]:
                best = (depth, uri, span)
    return (best[1], best[2]) if best else None


def _depth_of_path(doc: ParsedDocument, path: list[str]) -> int:
    node: Node | None = doc.root
    depth = 0
    for part in path:
        if node is None or node.kind != "map" or node.get(part) is None:
            break
        node = node.get(part)
        depth += 1
    return depth


def _span_of_path(doc: ParsedDocument, path: list[str]) -> Span | None:
    node: Node | None = doc.root
    span: Span | None = None
    for part in path:
        if node is None:
            break
        if node.kind == "map":
            key = node.key_node(part)
            if key is None:
                break
            span, node = key.span, node.get(part)
        elif node.kind == "seq" and part.isdigit() and int(part) < len(node.children):
            node = node.children[int(part)]
            span = node.span
        else:
            break
    return span

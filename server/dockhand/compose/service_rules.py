"""Checks of one service's values that Compose enforces beyond the schema's key shapes: `build.platforms` must
include `platform`, a short volume spec has no empty section, `container_name` matches Compose's pattern.

Codes (stable): platform-not-built, bad-volume-spec, bad-container-name. Each mirrors a Compose rejection, tried
against the real binary, so a file Compose accepts gets none of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dockhand.compose.document import Node, Problem, Span
from dockhand.compose.model import ComposeProject, Service

_CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
"""Compose's JSON-schema pattern; JSON schema patterns are not anchored, so it must only occur in the name."""


def check_services(project: ComposeProject) -> Iterator[Problem]:
    for service in project.services.values():
        data = service.config.data
        yield from _platform_built(service, data)
        yield from _volume_specs(service)
        yield from _container_name(service, data)


def _last_node(service: Service, *path: str) -> tuple[str, Span] | None:
    """The value node at `path` in the last declaring file that has it (the one whose value Compose keeps)."""
    for decl in reversed(service.declarations):
        node: Node | None = decl.node
        for key in path:
            node = node.get(key) if node is not None and node.kind == "map" else None
        if node is not None:
            return decl.uri, node.span
    return None


def _platform_built(service: Service, data: Any) -> Iterator[Problem]:
    platform, build = data.get("platform"), data.get("build")
    platforms = build.get("platforms") if isinstance(build, dict) else None
    if not isinstance(platform, str) or not isinstance(platforms, list) or not platforms or "$" in platform:
        return
    if platform in platforms or any(not isinstance(p, str) or "$" in p for p in platforms):
        return
    where = _last_node(service, "platform") or (service.definition.uri, service.definition.name_span)
    listed = ", ".join(f"`{p}`" for p in platforms)
    yield Problem(
        "platform-not-built",
        f"Service `{service.name}` runs on `{platform}` but `build.platforms` lists only {listed}; Compose rejects "
        f"this. Add `{platform}` to `build.platforms` or change `platform`.",
        *where,
    )


def volume_spec_error(spec: str) -> str | None:
    """Why Compose rejects a short volume spec, or None (its parser: Windows drives, then colon sections)."""
    if spec == "":
        return "is empty"
    if len(spec) <= 2:
        return None
    buffer = ""
    for char in spec:
        if char == ":" and len(buffer) == 1 and buffer.isalpha():
            buffer += char  # a Windows drive letter such as `C:`
        elif char == ":":
            if not buffer:
                return "has an empty section between colons"
            buffer = ""
        else:
            buffer += char
    return None if buffer else "has an empty section between colons"


def _volume_specs(service: Service) -> Iterator[Problem]:
    """Checks the interpolated specs (an unset `${VAR}` may leave an empty section), each placed on the entry it
    came from: the same text, else the first entry with a variable."""
    volumes = service.config.data.get("volumes")
    items = [
        (decl.uri, item)
        for decl in service.declarations
        if decl.node.kind == "map" and (node := decl.node.get("volumes")) is not None and node.kind == "seq"
        for item in node.children
        if item.kind == "scalar" and not item.tag
    ]
    for spec in volumes if isinstance(volumes, list) else ():
        why = volume_spec_error(spec) if isinstance(spec, str) else None
        if why is None:
            continue
        written = next((i for i in items if i[1].value == spec), None) or next(
            (i for i in items if "$" in str(i[1].value)), None
        )
        uri, span = (written[0], written[1].span) if written else (service.definition.uri, service.definition.name_span)
        shown = written[1].value if written else spec
        after = f" (`{spec}` once variables are substituted)" if shown != spec else ""
        yield Problem(
            "bad-volume-spec",
            f"Volume `{shown}`{after} {why}; Compose rejects it. Write `SOURCE:TARGET[:MODE]`, e.g. "
            "`data:/var/lib/data` or `./conf:/etc/app:ro`.",
            uri,
            span,
        )


def _container_name(service: Service, data: Any) -> Iterator[Problem]:
    name = data.get("container_name")
    if name is None or not isinstance(name, str | int | float) or "$" in str(name):
        return
    if _CONTAINER_NAME.search(str(name)):
        return
    where = _last_node(service, "container_name") or (service.definition.uri, service.definition.name_span)
    yield Problem(
        "bad-container-name",
        f"container_name `{name}` is not valid: Compose needs at least two characters from letters, digits, `_`, "
        "`.` and `-`, starting with a letter or digit. Fix the name or remove `container_name`.",
        *where,
    )

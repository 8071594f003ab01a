"""Values Compose parses beyond the schema and rejects when malformed: durations (Go's syntax plus days and weeks),
byte sizes (docker/go-units), and port numbers of the short `ports:` syntax.

Codes (stable): bad-duration, bad-size, bad-port. Only literal strings are judged (a `${VAR}` is left to
interpolation); each parser mirrors Compose's, tried against the real binary (tests/unit/compose/test_value_rules.py
asks Compose itself), so a file Compose accepts gets none of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockhand.compose.document import Node, Problem
from dockhand.compose.model import ComposeProject

DURATION_KEYS = (
    ("stop_grace_period",),
    ("healthcheck", "interval"),
    ("healthcheck", "timeout"),
    ("healthcheck", "start_period"),
    ("healthcheck", "start_interval"),
    ("deploy", "restart_policy", "delay"),
    ("deploy", "restart_policy", "window"),
    ("deploy", "update_config", "delay"),
    ("deploy", "update_config", "monitor"),
    ("deploy", "rollback_config", "delay"),
    ("deploy", "rollback_config", "monitor"),
)
SIZE_KEYS = (
    ("mem_limit",),
    ("mem_reservation",),
    ("memswap_limit",),
    ("shm_size",),
    ("build", "shm_size"),
    ("deploy", "resources", "limits", "memory"),
    ("deploy", "resources", "reservations", "memory"),
)
_DURATION = re.compile(r"[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d|w))+)")
_GO_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|infinity|nan)", re.I)
_SIZE_UNITS = "kmgtp"


def duration_error(text: str) -> str | None:
    """Why Compose's duration parser rejects `text`, or None."""
    if _DURATION.fullmatch(text):
        return None
    return (
        "is not a duration Compose reads: write a number with a unit (ns, us, ms, s, m, h, d, w), e.g. `30s` or `1m30s`"
    )


def size_error(text: str) -> str | None:
    """Why go-units' RAMInBytes rejects `text` (its exact steps), or None."""
    cut = max(text.rfind(c) for c in "0123456789. ")
    if cut < 0:
        return "is not a size: write a number with an optional unit (b, k, m, g, t, p), e.g. `512m` or `1g`"
    number, suffix = (text[: cut + 1], text[cut + 1 :]) if text[cut] != " " else (text[:cut], text[cut + 1 :])
    if not _GO_FLOAT.fullmatch(number) or number.lstrip("+").startswith("-"):
        return "is not a size: write a non-negative number with an optional unit, e.g. `512m` or `1g`"
    suffix = suffix.lower()
    valid = (
        suffix in ("", "b")
        or (len(suffix) == 1 and suffix in _SIZE_UNITS)
        or (len(suffix) == 2 and suffix[0] in _SIZE_UNITS and suffix[1] == "b")
        or (len(suffix) == 3 and suffix[0] in _SIZE_UNITS and suffix[1:] == "ib")
    )
    return None if valid else f"has an unknown unit `{suffix}`: use b, k, m, g, t or p (kb, kib … also work)"


def port_error(spec: str) -> str | None:
    """Why a short port spec has a port number Compose rejects (above 65535), or None."""
    ports = spec.rsplit("/", 1)[0].rsplit(":", 2)
    numbers = ports[-2:] if len(ports) > 1 else ports
    for part in numbers:
        for number in part.split("-"):
            if number.isdigit() and int(number) > 65535:
                return f"has port {number}, above 65535"
    return None


def _at(node: Node, path: tuple[str, ...]) -> Node | None:
    for key in path:
        if node.kind != "map":
            return None
        found = node.get(key)
        if found is None:
            return None
        node = found
    return node


def _literal(node: Node | None) -> str | None:
    if node is None or node.kind != "scalar" or node.tag or not isinstance(node.value, str) or "$" in node.value:
        return None
    return node.value


def check_values(project: ComposeProject) -> Iterator[Problem]:
    for service in project.services.values():
        for decl in service.declarations:
            if decl.node.kind != "map":
                continue
            for keys, judge, code in (
                (DURATION_KEYS, duration_error, "bad-duration"),
                (SIZE_KEYS, size_error, "bad-size"),
            ):
                for path in keys:
                    node = _at(decl.node, path)
                    text = _literal(node)
                    why = judge(text) if text is not None else None
                    if why is not None and node is not None:
                        where = ".".join(path)
                        yield Problem(code, f"`{where}: {text}` {why}; Compose rejects it.", decl.uri, node.span)
            ports = decl.node.get("ports")
            for item in ports.children if ports is not None and ports.kind == "seq" else ():
                text = _literal(item)
                why = port_error(text) if text is not None else None
                if why is not None:
                    yield Problem(
                        "bad-port",
                        f"Port `{text}` {why}; Compose rejects it. Port numbers go from 0 to 65535.",
                        decl.uri,
                        item.span,
                    )

"""Compose variable interpolation (`$VAR`, `${VAR:-default}`, `${VAR:?error}`, `$$`) and `.env` file parsing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_NESTING = 20


@dataclass(frozen=True)
class Finding:
    """An interpolation finding: code is `unset-variable` (warning), `required-variable` or `bad-template`."""

    code: str
    message: str
    variable: str
    severity: str


def interpolate(text: str, env: Mapping[str, str], _depth: int = 0) -> tuple[str, list[Finding]]:
    """Substitute variables as Compose does; unset variables become "" with a warning finding."""
    if "$" not in text:
        return text, []
    out: list[str] = []
    findings: list[Finding] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$":
            j = text.find("$", i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
            continue
        if i + 1 < n and text[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        if i + 1 < n and text[i + 1] == "{":
            end = _closing_brace(text, i + 2)
            if end < 0 or _depth > _MAX_NESTING:
                findings.append(
                    Finding(
                        "bad-template",
                        f"Invalid interpolation `{text[i:]}`: a `${{` has no closing `}}`. Close it, or write `$$` "
                        "for a literal dollar sign.",
                        "",
                        "error",
                    )
                )
                out.append(text[i:])
                break
            value, inner = _expand(text[i + 2 : end], env, _depth)
            out.append(value)
            findings.extend(inner)
            i = end + 1
            continue
        match = _NAME.match(text, i + 1)
        if match is None:
            out.append("$")
            i += 1
            continue
        name = match.group(0)
        if name in env:
            out.append(env[name])
        else:
            findings.append(_unset(name))
        i = match.end()
    return "".join(out), findings


def _closing_brace(text: str, start: int) -> int:
    """The index of the `}` closing a `${` whose body starts at `start` (nested `${…}` skipped), or -1."""
    depth, i = 1, start
    while True:
        close = text.find("}", i)
        if close < 0:
            return -1
        opening = text.find("${", i, close)
        if opening >= 0:
            depth, i = depth + 1, opening + 2
            continue
        depth -= 1
        if depth == 0:
            return close
        i = close + 1


def _unset(name: str) -> Finding:
    return Finding(
        "unset-variable",
        f"Variable `{name}` is not set; Compose substitutes an empty string. Set it in the environment or `.env`, "
        f"or give a default: `${{{name}:-value}}`.",
        name,
        "warning",
    )


def _expand(body: str, env: Mapping[str, str], depth: int) -> tuple[str, list[Finding]]:
    match = _NAME.match(body)
    if match is None:
        return "", [
            Finding(
                "bad-template",
                f"Invalid interpolation `${{{body}}}`: expected a variable name such as `${{PORT}}`.",
                "",
                "error",
            )
        ]
    name = match.group(0)
    rest = body[match.end() :]
    value = env.get(name)
    if not rest:
        return (value, []) if value is not None else ("", [_unset(name)])
    for op in (":-", "-", ":?", "?", ":+", "+"):
        if rest.startswith(op):
            arg = rest[len(op) :]
            empty_counts = op.startswith(":")
            missing = value is None or (empty_counts and value == "")
            if op in (":-", "-"):
                if missing:
                    return interpolate(arg, env, depth + 1)
                return value or "", []
            if op in (":?", "?"):
                if missing:
                    reason, inner = interpolate(arg, env, depth + 1)
                    detail = f": {reason}" if reason else ""
                    return "", [
                        *inner,
                        Finding(
                            "required-variable",
                            f"Required variable `{name}` is missing a value{detail}. Set `{name}` in the "
                            "environment or `.env`.",
                            name,
                            "error",
                        ),
                    ]
                return value or "", []
            if missing:
                return "", []
            return interpolate(arg, env, depth + 1)
    return "", [
        Finding(
            "bad-template",
            f"Invalid interpolation `${{{body}}}`: use `${{VAR}}`, `${{VAR:-default}}` or `${{VAR:?message}}`.",
            name,
            "error",
        )
    ]


def parse_env_file(text: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parse a `.env` file as Compose does: KEY=VALUE lines, `export` prefix, quotes, comments, interpolation."""
    result: dict[str, str] = {}
    lookup = dict(env or {})
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _NAME.fullmatch(key):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote = value[0]
            value = value[1:-1]
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
                value, _ = interpolate(value, {**lookup, **result})
        else:
            value = re.sub(r"\s+#.*$", "", value)
            value, _ = interpolate(value, {**lookup, **result})
        result[key] = value
    return result

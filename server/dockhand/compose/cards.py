"""Hover cards as Markdown, built purely from a ComposeProject: a service's static config or a resource's use.

`static_card(project, service_name)` and `resource_card(project, kind, name)` never do I/O and never show a
secret: environment values whose name looks secret (PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL, PASS, …) become
`••••`, and a password inside a URL (`scheme://user:password@host`) is masked in any value. Other hover sections
(the live state) are appended by lsp/features/hover.py, not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlparse

from dockhand.compose.model import ComposeProject, Kind, Reference

MASK = "••••"
MAX_LIST = 12
"""Entries shown per list before "… and N more" (a hover must stay readable for a 60-variable service)."""

_SECRET_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "APIKEY", "ACCESSKEY")
_SECRET_TOKENS = frozenset({"KEY", "PASS", "PWD", "AUTH", "SALT", "CERT", "DSN", "SIGNATURE", "COOKIE", "SESSION"})
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s/]+)(?P<at>@)")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name suggests its value is a secret (errs on the side of masking)."""
    upper = name.upper()
    if any(word in upper for word in _SECRET_WORDS):
        return True
    return any(token.upper() in _SECRET_TOKENS for token in _WORD_SPLIT.split(name) if token)


def mask_value(name: str, value: str | None) -> str | None:
    """The value as it may be shown: fully masked for secret names, URL passwords masked otherwise."""
    if value is None:
        return None
    if is_secret_name(name):
        return MASK
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['at']}", value)


def code(text: object) -> str:
    """Inline Markdown code that survives backticks in the text."""
    s = str(text).replace("\n", " ")
    fence = "``" if "`" in s else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def display_path(uri: str, project: ComposeProject) -> str:
    """A file URI as a path relative to the project directory when it is inside it."""
    path = unquote(urlparse(uri).path)
    base = str(project.directory).rstrip("/") + "/"
    return path[len(base) :] if path.startswith(base) else path


def _listing(items: Iterable[str], limit: int = MAX_LIST) -> str:
    shown = list(items)
    extra = len(shown) - limit
    text = ", ".join(shown[:limit])
    return f"{text}, … and {extra} more" if extra > 0 else text


def _healthcheck_text(healthcheck: Mapping[str, Any]) -> str:
    test = healthcheck.get("test")
    if isinstance(test, list):
        command = " ".join(str(part) for part in (test[1:] if test and test[0] in ("CMD", "CMD-SHELL") else test))
    else:
        command = str(test or "")
    timing = [
        f"{label} {healthcheck[key]}"
        for key, label in (("interval", "every"), ("timeout", "timeout"), ("start_period", "start period"))
        if healthcheck.get(key) is not None
    ]
    if healthcheck.get("retries") is not None:
        timing.append(f"{healthcheck['retries']} retries")
    return f"{code(command)}" + (f" ({', '.join(timing)})" if timing else "")


def _dependents(project: ComposeProject, name: str) -> list[str]:
    """Services that depend on `name` (depends_on, links, volumes_from, network_mode service:, extends)."""
    seen: dict[str, None] = {}
    for ref in project.references:
        if ref.kind == "service" and ref.name == name and ref.service and ref.service != name:
            seen.setdefault(ref.service, None)
    return list(seen)


def static_card(project: ComposeProject, service_name: str) -> str:
    """The Markdown card for a service's resolved static configuration ("" when the service is unknown)."""
    service = project.services.get(service_name)
    if service is None:
        return ""
    config = service.config
    decl = service.definition
    lines = [f"**service** {code(service.name)} · project {code(project.name)}"]
    lines.append(f"*declared in* {code(f'{display_path(decl.uri, project)}:{decl.name_span.start_line + 1}')}")
    facts: list[str] = []
    if config.image:
        facts.append(f"- **image** {code(config.image)}")
    if config.build_context is not None:
        dockerfile = f" · Dockerfile {code(config.dockerfile.written)}" if config.dockerfile is not None else ""
        facts.append(f"- **build** {code(config.build_context.written)}{dockerfile}")
    if config.ports:
        ports = []
        for port in config.ports:
            host = f"{port.host_ip}:" if port.host_ip else ""
            published = f"{host}{port.published}→" if port.published else ""
            ports.append(code(f"{published}{port.target}/{port.protocol or 'tcp'}"))
        facts.append(f"- **ports** {_listing(ports)}")
    if config.depends_on:
        deps = [f"{code(dep.name)} ({dep.condition.removeprefix('service_')})" for dep in config.depends_on]
        facts.append(f"- **depends on** {_listing(deps)}")
    dependents = _dependents(project, service.name)
    if dependents:
        facts.append(f"- **used by** {_listing(code(name) for name in dependents)}")
    if config.healthcheck:
        if config.has_healthcheck:
            facts.append(f"- **healthcheck** {_healthcheck_text(config.healthcheck)}")
        else:
            facts.append("- **healthcheck** disabled")
    if config.networks:
        facts.append(f"- **networks** {_listing(code(n) for n in config.networks)}")
    elif config.network_mode:
        facts.append(f"- **network mode** {code(config.network_mode)}")
    if config.profiles:
        facts.append(f"- **profiles** {_listing(code(p) for p in config.profiles)}")
    if config.container_name:
        facts.append(f"- **container name** {code(config.container_name)}")
    if config.restart:
        facts.append(f"- **restart** {code(config.restart)}")
    if config.env_files:
        facts.append(f"- **env files** {_listing(code(ref.written) for ref in config.env_files)}")
    lines += ["", *facts] if facts else []
    if config.environment:
        env_lines = []
        for key, value in list(config.environment.items())[:MAX_LIST]:
            shown = mask_value(key, value)
            env_lines.append(f"- {code(key)} = {code(shown)}" if shown is not None else f"- {code(key)} (from host)")
        extra = len(config.environment) - MAX_LIST
        if extra > 0:
            env_lines.append(f"- … and {extra} more")
        lines += ["", "**environment**", *env_lines]
    return "\n".join(lines)


_RESOURCE_FACTS: dict[Kind, tuple[str, ...]] = {
    "network": ("name", "driver", "internal", "attachable", "external"),
    "volume": ("name", "driver", "external"),
    "secret": ("name", "file", "environment", "external"),
    "config": ("name", "file", "environment", "external"),
}


def resource_card(project: ComposeProject, kind: Kind, name: str) -> str:
    """The Markdown card for a network, volume, secret or config: where it is declared and who uses it."""
    if kind == "service":
        return static_card(project, name)
    resource = project.resources.get(kind, {}).get(name)
    users = _users(project.references_to(kind, name))
    if resource is None:
        where = "*not declared at the top level*" if kind != "network" or name != "default" else "*implicit*"
        lines = [f"**{kind}** {code(name)} · {where}"]
    else:
        decl = resource.declarations[0]
        lines = [f"**{kind}** {code(name)} · project {code(project.name)}"]
        lines.append(f"*declared in* {code(f'{display_path(decl.uri, project)}:{decl.name_span.start_line + 1}')}")
        facts = []
        for key in _RESOURCE_FACTS[kind]:
            value = resource.data.get(key)
            if value is None or value is False:
                continue
            shown = value if key != "environment" else f"${{{value}}}"  # the variable's name, never its value
            facts.append(f"- **{key}** {code(shown if not isinstance(value, dict) else 'yes')}")
        if facts:
            lines += ["", *facts]
    if users:
        lines += ["", f"**used by** {_listing(code(user) for user in users)}"]
    return "\n".join(lines)


def _users(references: Iterable[Reference]) -> list[str]:
    seen: dict[str, None] = {}
    for ref in references:
        if ref.service:
            seen.setdefault(ref.service, None)
    return list(seen)

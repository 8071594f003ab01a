"""The compose project model: services, resources and every name reference, each with the file and span it came from.

Contract (stable; hover/definition/references/rename/completion/symbols and the live stack read it):
- `ComposeProject` is immutable and prebuilt: `services` (name → Service), `resources[kind]` for kind in
  "network" | "volume" | "secret" | "config" (name → Resource), `references` (every place a name is *used*),
  `documents` (uri → ParsedDocument of every member file: -f set, overrides, included and extended files),
  `problems` (loader findings: interpolation, missing files, include/extends errors), `name` (as Compose derives
  it) and `name_source` ("-p" | "COMPOSE_PROJECT_NAME" | "name:" | "directory"), `directory`, `files` (the main
  file set in order), `environment` (variables used for interpolation), `active_profiles`.
- `Declaration(kind, name, uri, name_span, span, node)` is where a name is defined (one per file that defines
  it: an override file adds a second declaration of the same service).
- `Reference(kind, name, uri, span, context, service)`: `span` covers only the name (inside "db:ro" or
  "service:db" too), `context` is the key it appears under ("depends_on", "links", "extends",
  "network_mode", "volumes_from", "networks", "volumes", "secrets", "configs", ...).
- Queries: `project.symbol_at(uri, line, char)` → Declaration | Reference | None (bisection over a prebuilt
  per-file index, no tree walk), `project.service_at(uri, line)` → Service | None (the service whose block
  covers the line), `project.definitions(kind, name)`, `project.references_to(kind, name)`, `project.names(kind)`.
- `Service.config` is the resolved static configuration (files merged in Compose's order, `extends` applied,
  variables interpolated): image, build, ports, depends_on, healthcheck, networks, profiles, environment,
  env_files, container_name, network_mode, restart, and `data` (the whole resolved mapping as plain Python).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from dockhand.compose.document import Node, ParsedDocument, Problem, Span

Kind = Literal["service", "network", "volume", "secret", "config"]
RESOURCE_KINDS: tuple[Kind, ...] = ("network", "volume", "secret", "config")
TOP_LEVEL_KEY: dict[Kind, str] = {
    "service": "services",
    "network": "networks",
    "volume": "volumes",
    "secret": "secrets",
    "config": "configs",
}


@dataclass(frozen=True)
class Declaration:
    """Where a name is defined: `name_span` is the key, `span` the key plus its value block."""

    kind: Kind
    name: str
    uri: str
    name_span: Span
    span: Span
    node: Node = field(repr=False, compare=False)


@dataclass(frozen=True)
class Reference:
    """A use of a name. `span` covers the name only; `service` is the service the use sits in (if any)."""

    kind: Kind
    name: str
    uri: str
    span: Span
    context: str
    service: str | None = None


@dataclass(frozen=True)
class PortBinding:
    """One `ports:` entry. `published` is the host side as written ("8080", "8000-8005") or None."""

    target: str
    published: str | None
    host_ip: str
    protocol: str
    uri: str
    span: Span

    def host_ports(self) -> list[int]:
        """Every host port this entry publishes (empty when Compose picks one)."""
        if not self.published:
            return []
        low, _, high = self.published.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            return []
        return list(range(first, min(last, first + 65535) + 1))


@dataclass(frozen=True)
class Dependency:
    """One `depends_on` entry; `span` is the dependency's name."""

    name: str
    condition: str
    required: bool
    restart: bool
    uri: str
    span: Span


@dataclass(frozen=True)
class PathRef:
    """A file or folder named in the config (build context, Dockerfile, env_file), resolved against its file."""

    role: Literal["build-context", "dockerfile", "env-file", "include", "extends-file"]
    written: str
    path: Path | None
    uri: str
    span: Span
    required: bool = True
    exists: bool | None = None


@dataclass(frozen=True)
class ServiceConfig:
    """A service's resolved static configuration (what `docker compose config` would print, minus defaults)."""

    image: str | None = None
    build_context: PathRef | None = None
    dockerfile: PathRef | None = None
    ports: tuple[PortBinding, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    healthcheck: Mapping[str, Any] | None = None
    networks: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    environment: Mapping[str, str | None] = field(default_factory=dict)
    env_files: tuple[PathRef, ...] = ()
    container_name: str | None = None
    network_mode: str | None = None
    restart: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_healthcheck(self) -> bool:
        """A healthcheck with a test that is not disabled (an image's own HEALTHCHECK is unknown statically)."""
        hc = self.healthcheck
        if not hc or hc.get("disable") is True:
            return False
        test = hc.get("test")
        return bool(test) and test != ["NONE"]


@dataclass(frozen=True)
class Service:
    """A service merged across the files that declare it; `declarations[0]` is where it is first defined."""

    name: str
    declarations: tuple[Declaration, ...]
    config: ServiceConfig

    @property
    def definition(self) -> Declaration:
        return self.declarations[0]


@dataclass(frozen=True)
class Resource:
    """A top-level network, volume, secret or config."""

    kind: Kind
    name: str
    declarations: tuple[Declaration, ...]
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def external(self) -> bool:
        return bool(self.data.get("external"))


Symbol = Declaration | Reference


@dataclass(frozen=True)
class ComposeProject:
    """A whole compose project as Compose resolves it. Build with dockhand.compose.loader; never mutate."""

    name: str
    name_source: str
    directory: Path
    files: tuple[str, ...]
    documents: Mapping[str, ParsedDocument]
    services: Mapping[str, Service]
    resources: Mapping[Kind, Mapping[str, Resource]]
    references: tuple[Reference, ...]
    problems: tuple[Problem, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    active_profiles: tuple[str, ...] = ()
    paths: tuple[PathRef, ...] = ()

    # Position indexes, so hover/definition answer by bisection, never by walking trees. Made on the first query,
    # not with the project: a file's diagnostics are published without waiting for them (~4 ms at 1000 services).
    @cached_property
    def _symbols(self) -> dict[str, tuple[list[tuple[int, int]], list[Symbol]]]:
        by_uri: dict[str, list[tuple[tuple[int, int], Symbol]]] = {}
        for service in self.services.values():
            for decl in service.declarations:
                by_uri.setdefault(decl.uri, []).append(((decl.name_span.start_line, decl.name_span.start_char), decl))
        for table in self.resources.values():
            for res in table.values():
                for decl in res.declarations:
                    key = (decl.name_span.start_line, decl.name_span.start_char)
                    by_uri.setdefault(decl.uri, []).append((key, decl))
        for ref in self.references:
            by_uri.setdefault(ref.uri, []).append(((ref.span.start_line, ref.span.start_char), ref))
        out: dict[str, tuple[list[tuple[int, int]], list[Symbol]]] = {}
        for uri, entries in by_uri.items():
            entries.sort(key=lambda e: e[0])
            out[uri] = ([e[0] for e in entries], [e[1] for e in entries])
        return out

    @cached_property
    def _service_lines(self) -> dict[str, tuple[list[int], list[tuple[int, str]]]]:
        blocks: dict[str, list[tuple[int, int, str]]] = {}
        for service in self.services.values():
            for decl in service.declarations:
                blocks.setdefault(decl.uri, []).append((decl.span.start_line, decl.span.end_line, service.name))
        out: dict[str, tuple[list[int], list[tuple[int, str]]]] = {}
        for uri, rows in blocks.items():
            rows.sort()
            out[uri] = ([r[0] for r in rows], [(r[1], r[2]) for r in rows])
        return out

    # -- queries -------------------------------------------------------------------------------------------

    def symbol_at(self, uri: str, line: int, char: int) -> Symbol | None:
        """The declaration or reference whose name covers the position."""
        index = self._symbols.get(uri)
        if index is None:
            return None
        starts, symbols = index
        i = bisect.bisect_right(starts, (line, char)) - 1
        while i >= 0 and starts[i][0] == line:
            sym = symbols[i]
            span = sym.name_span if isinstance(sym, Declaration) else sym.span
            if span.contains(line, char):
                return sym
            i -= 1
        return None

    def service_at(self, uri: str, line: int) -> Service | None:
        """The service whose block (name through its last line) covers `line` in `uri`."""
        index = self._service_lines.get(uri)
        if index is None:
            return None
        starts, rows = index
        i = bisect.bisect_right(starts, line) - 1
        if i < 0:
            return None
        end_line, name = rows[i]
        # A block mapping's end mark sits on the next key's line, so the end line itself belongs to the next.
        if line < end_line or line == starts[i]:
            return self.services.get(name)
        return None

    def names(self, kind: Kind) -> list[str]:
        """Defined names of a kind, in declaration order (for completion)."""
        if kind == "service":
            return list(self.services)
        return list(self.resources.get(kind, {}))

    def definitions(self, kind: Kind, name: str) -> tuple[Declaration, ...]:
        if kind == "service":
            service = self.services.get(name)
            return service.declarations if service else ()
        res = self.resources.get(kind, {}).get(name)
        return res.declarations if res else ()

    def references_to(self, kind: Kind, name: str) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.kind == kind and r.name == name)

    @property
    def member_uris(self) -> tuple[str, ...]:
        """Every file the project read (main set, overrides, includes, extends)."""
        return tuple(self.documents)

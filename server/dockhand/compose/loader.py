"""Build a ComposeProject from files the way Compose resolves them (file sets, overrides, include, extends, .env).

Contract (stable):
- `project_files_for(path, environ, source)` → (project directory, ordered file list) for a compose file: the
  COMPOSE_FILE set when it lists the file, else the default set of its folder (compose.yaml | compose.yml |
  docker-compose.yml | docker-compose.yaml, then the matching *.override.* file) when it is part of it, else
  the file alone (as with `-f file`).
- `load_project(files, source=..., environ=...)` → ComposeProject; never raises for bad content.
- `load_project_from_disk(path)` → ComposeProject for a compose file or a folder (for discovery / the live stack).
- A DocumentSource gives parsed documents by path: `DiskSource` reads disk, and the server's index overlays the
  editor's open (unsaved) documents on it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dockhand.compose.document import AliasBombError, ParsedDocument, Problem, Span, parse_document
from dockhand.compose.interpolation import parse_env_file
from dockhand.compose.merge import Materializer, merge, normalize_service, strip_markers
from dockhand.compose.model import (
    RESOURCE_KINDS,
    TOP_LEVEL_KEY,
    ComposeProject,
    Declaration,
    Kind,
    PathRef,
    Reference,
    Resource,
    Service,
)
from dockhand.compose.services import DocumentSource, ServicePart, collect_references, resolve_config
from dockhand.compose.uris import from_fs_path

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
_ZERO = Span(0, 0, 0, 0)
_MAX_INCLUDE_DEPTH = 10
_VALID_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def path_uri(path: Path) -> str:
    """The canonical file URI of a path (what every Declaration/Reference uses)."""
    return str(from_fs_path(str(path)))


class DiskSource:
    """Reads and parses files from disk, caching parses by (mtime, size)."""

    def __init__(self, encoding: str = "utf-16", max_bytes: int = 5_000_000) -> None:
        self.encoding = encoding
        self.max_bytes = max_bytes
        self._cache: dict[Path, tuple[tuple[int, int], ParsedDocument]] = {}

    def document(self, path: Path) -> ParsedDocument | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        hit = self._cache.get(path)
        if hit and hit[0] == key:
            return hit[1]
        if stat.st_size > self.max_bytes:
            text = ""  # do not read it: parse_document reports the size from a placeholder of the right length
            doc = parse_document(
                path_uri(path), "x" * (self.max_bytes + 1), encoding=self.encoding, max_bytes=self.max_bytes
            )
        else:
            text = self.read_text(path) or ""
            doc = parse_document(path_uri(path), text, encoding=self.encoding, max_bytes=self.max_bytes)
        self._cache[path] = (key, doc)
        return doc

    def cached(self, path: Path) -> ParsedDocument | None:
        """The last parse of `path`, without touching the disk (it may be stale: compare its text)."""
        hit = self._cache.get(path)
        return hit[1] if hit else None

    def read_text(self, path: Path) -> str | None:
        try:
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    def exists(self, path: Path) -> bool:
        return path.exists()


def dotenv_environment(directory: Path, environ: Mapping[str, str], source: DocumentSource) -> dict[str, str]:
    """The interpolation environment: the folder's `.env` overlaid by the real environment (which wins)."""
    text = source.read_text(directory / ".env")
    file_env = parse_env_file(text, environ) if text else {}
    return {**file_env, **environ}


def project_files_for(path: Path, environ: Mapping[str, str], source: DocumentSource) -> tuple[Path, list[Path]]:
    """Which file set (and project folder) a compose file belongs to, as `docker compose` run in its folder sees it."""
    path = path.absolute()
    directory = path.parent
    env = dotenv_environment(directory, environ, source)
    listed = env.get("COMPOSE_FILE")
    if listed:
        sep = env.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        files = [(directory / p).absolute() for p in listed.split(sep) if p]
        if path in files:
            return directory, files
    default = default_files(directory, source)
    if path in default:
        return directory, default
    return directory, [path]


def default_files(directory: Path, source: DocumentSource) -> list[Path]:
    """The files `docker compose` reads in a folder without -f (main file, then its override)."""
    main = next((directory / n for n in DEFAULT_FILES if source.exists(directory / n)), None)
    if main is None:
        return []
    override = next((directory / n for n in OVERRIDE_FILES if source.exists(directory / n)), None)
    return [main, override] if override else [main]


def normalize_project_name(raw: str) -> str:
    """Compose's normalisation: lowercase, only [a-z0-9_-], starting with a letter or digit."""
    name = re.sub(r"[^a-z0-9_-]", "", raw.lower())
    return name.lstrip("_-")


def load_project_from_disk(path: Path, environ: Mapping[str, str] | None = None) -> ComposeProject:
    """Load the project of a compose file or folder from disk (used by discovery and the live stack)."""
    source = DiskSource()
    env = dict(os.environ if environ is None else environ)
    if path.is_dir():
        directory, files = path.absolute(), default_files(path.absolute(), source)
        listed = dotenv_environment(directory, env, source).get("COMPOSE_FILE")
        if listed:
            directory, files = project_files_for(directory / listed.split(os.pathsep)[0], env, source)
    else:
        directory, files = project_files_for(path, env, source)
    return load_project(files, source=source, environ=env, project_directory=directory)


def load_project(
    files: Sequence[Path],
    *,
    source: DocumentSource,
    environ: Mapping[str, str],
    project_directory: Path | None = None,
    project_name: str | None = None,
) -> ComposeProject:
    """Resolve a file set into a ComposeProject (bad content becomes problems, never exceptions)."""
    directory = (project_directory or (files[0].parent if files else Path.cwd())).absolute()
    env = dotenv_environment(directory, environ, source)
    builder = _ProjectBuilder(source, env, directory)
    for path in files:
        builder.add_file(path.absolute(), origin=None, depth=0)
    profiles = tuple(p.strip() for p in env.get("COMPOSE_PROFILES", "").split(",") if p.strip())
    name, name_source = _project_name(project_name, env, builder.declared_names, directory)
    if name_source in ("-p", "COMPOSE_PROJECT_NAME") and not _VALID_NAME.fullmatch(name):
        builder.problems.append(_bad_name(name, name_source, builder))
        name = normalize_project_name(name)
    return builder.finish(name, name_source, tuple(path_uri(p.absolute()) for p in files), profiles)


def _project_name(flag: str | None, env: Mapping[str, str], declared: list[str], directory: Path) -> tuple[str, str]:
    """Compose's precedence; `name:` and the folder name are normalised, -p and the variable must be valid."""
    if flag:
        return flag, "-p"
    if env.get("COMPOSE_PROJECT_NAME"):
        return env["COMPOSE_PROJECT_NAME"], "COMPOSE_PROJECT_NAME"
    if declared:
        return normalize_project_name(declared[-1]), "name:"
    return normalize_project_name(directory.name), "directory"


def _bad_name(name: str, source: str, builder: _ProjectBuilder) -> Problem:
    uri, span = next(iter(builder.documents), ""), _ZERO
    return Problem(
        "bad-project-name",
        f"Project name `{name}` (from {source}, which Compose does not normalise) is invalid: Compose needs lowercase letters, digits, `-` and `_`, "
        f"starting with a letter or digit. Use `{normalize_project_name(name) or 'myproject'}`.",
        uri,
        span,
    )


class _ProjectBuilder:
    """Accumulates files in Compose's order; `finish()` freezes the result into a ComposeProject."""

    def __init__(self, source: DocumentSource, env: Mapping[str, str], directory: Path) -> None:
        self.source = source
        self.env = env
        self.directory = directory
        self.documents: dict[str, ParsedDocument] = {}
        self.problems: list[Problem] = []
        self.parts: dict[str, list[ServicePart]] = {}
        self.resource_decls: dict[Kind, dict[str, list[Declaration]]] = {k: {} for k in RESOURCE_KINDS}
        self.resource_data: dict[Kind, dict[str, Any]] = {k: {} for k in RESOURCE_KINDS}
        self.references: list[Reference] = []
        self.paths: list[PathRef] = []
        self.declared_names: list[str] = []
        self.file_data: dict[str, dict[str, Any]] = {}
        self.included: dict[str, tuple[str, Span, Declaration]] = {}

    def add_file(self, path: Path, origin: tuple[str, Span] | None, depth: int) -> None:
        doc = self.source.document(path)
        uri = path_uri(path)
        if doc is None:
            where_uri, where = origin or (uri, _ZERO)
            self.problems.append(
                Problem(
                    "missing-file",
                    f"Compose file `{path}` does not exist. Create it or fix the path.",
                    where_uri,
                    where,
                )
            )
            return
        if uri in self.documents and origin is not None:
            return  # an include cycle or a file included twice: Compose reads it once
        self.documents[uri] = doc
        root = doc.root
        if root is None:
            return
        if root.kind != "map":
            self.problems.append(
                Problem(
                    "not-a-mapping", "A compose file must be a mapping with keys such as `services:`.", uri, root.span
                )
            )
            return
        materializer = Materializer(uri, self.env, self.problems.append, remember="*" not in doc.text)
        data: dict[str, Any] = {}
        try:
            for key, _key_node, value in root.entries():
                if key.startswith("x-"):
                    continue  # extension fields are templates for anchors; Compose does not interpolate them
                data[key] = materializer.table(value) if key == "services" else materializer.value(value)
        except AliasBombError:
            self.problems.append(
                Problem(
                    "alias-bomb",
                    'Aliases in this file expand to millions of nodes (a "billion laughs" document). '
                    "Use fewer nested aliases.",
                    uri,
                    root.span,
                )
            )
            return
        except RecursionError:  # aliases inside aliases, hundreds deep: each level is one more call
            self.problems.append(
                Problem("too-deep", "Aliases here nest too deeply to read. Use fewer nested aliases.", uri, root.span)
            )
            return
        self.file_data[uri] = data
        if isinstance(data.get("name"), str):
            self.declared_names.append(data["name"])
        include = root.get("include")
        if include is not None:
            self._add_includes(path, uri, include, data.get("include"), depth)
        services = root.get("services")
        if services is not None and services.kind == "map":
            raw_services: dict[str, Any] = data["services"] if isinstance(data.get("services"), dict) else {}
            for name, key_node, value in services.entries():
                decl = Declaration("service", name, uri, key_node.span, _join(key_node.span, value.span), value)
                if name in self.included:
                    self.problems.append(_include_conflict(name, *self.included[name]))
                    continue
                part = ServicePart(decl, path.parent, normalize_service(raw_services.get(name)), doc)
                self.parts.setdefault(name, []).append(part)
                self.references.extend(collect_references(part))
        for kind in RESOURCE_KINDS:
            table = root.get(TOP_LEVEL_KEY[kind])
            if table is None or table.kind != "map":
                continue
            raw_table: dict[str, Any] = (
                data[TOP_LEVEL_KEY[kind]] if isinstance(data.get(TOP_LEVEL_KEY[kind]), dict) else {}
            )
            for name, key_node, value in table.entries():
                decl = Declaration(kind, name, uri, key_node.span, _join(key_node.span, value.span), value)
                self.resource_decls[kind].setdefault(name, []).append(decl)
                previous = self.resource_data[kind].get(name, {})
                self.resource_data[kind][name] = merge(previous, raw_table.get(name) or {})

    def _add_includes(self, path: Path, uri: str, node: Any, data: Any, depth: int) -> None:
        if node.kind != "seq" or not isinstance(data, list):
            self.problems.append(
                Problem("include-shape", "`include:` takes a list of paths or `{path: …}` entries.", uri, node.span)
            )
            return
        for item_node, item in zip(node.children, data, strict=False):
            paths = item if isinstance(item, list) else [item.get("path")] if isinstance(item, dict) else [item]
            if isinstance(item, dict) and isinstance(item.get("path"), list):
                paths = item["path"]
            span = item_node.get("path").span if item_node.kind == "map" and item_node.get("path") else item_node.span
            for written in paths:
                if not isinstance(written, str):
                    continue
                target = (path.parent / written).absolute()
                self.paths.append(PathRef("include", written, target, uri, span, exists=self.source.exists(target)))
                if depth >= _MAX_INCLUDE_DEPTH:
                    self.problems.append(Problem("include-depth", "Includes nest too deeply here.", uri, span))
                    continue
                self._include_project(target, uri, span, depth + 1)

    def _include_project(self, target: Path, uri: str, span: Span, depth: int) -> None:
        sub = _ProjectBuilder(
            self.source, {**dotenv_environment(target.parent, {}, self.source), **self.env}, target.parent
        )
        sub.add_file(target, origin=(uri, span), depth=depth)
        self.documents.update(sub.documents)
        self.problems.extend(sub.problems)
        self.references.extend(sub.references)
        self.paths.extend(sub.paths)
        for name, parts in sub.parts.items():
            if name in self.parts:
                self.problems.append(_include_conflict(name, uri, span, parts[0].decl))
                continue
            self.parts[name] = parts
            self.included[name] = (uri, span, parts[0].decl)
        for kind in RESOURCE_KINDS:
            for name, decls in sub.resource_decls[kind].items():
                self.resource_decls[kind].setdefault(name, []).extend(decls)
                self.resource_data[kind].setdefault(name, sub.resource_data[kind][name])
        self.file_data.update(sub.file_data)

    def finish(self, name: str, name_source: str, files: tuple[str, ...], profiles: tuple[str, ...]) -> ComposeProject:
        services: dict[str, Service] = {}
        for service_name, parts in self.parts.items():
            config, extra = resolve_config(service_name, parts, self)
            self.problems.extend(extra.problems)
            self.references.extend(extra.references)
            self.paths.extend(extra.paths)
            for doc in extra.documents:
                self.documents.setdefault(doc.uri, doc)
            services[service_name] = Service(service_name, tuple(p.decl for p in parts), config)
        resources: dict[Kind, dict[str, Resource]] = {}
        for kind in RESOURCE_KINDS:
            resources[kind] = {
                n: Resource(kind, n, tuple(decls), strip_markers(self.resource_data[kind].get(n) or {}))
                for n, decls in self.resource_decls[kind].items()
            }
        return ComposeProject(
            name=name,
            name_source=name_source,
            directory=self.directory,
            files=files,
            documents=dict(self.documents),
            services=services,
            resources=resources,
            references=tuple(self.references),
            problems=tuple(self.problems),
            environment=dict(self.env),
            active_profiles=profiles,
            paths=tuple(self.paths),
        )


def _include_conflict(name: str, uri: str, span: Span, included: Declaration) -> Problem:
    return Problem(
        "include-conflict",
        f"Service `{name}` from the included file conflicts with a service of the same name here. Rename one of them.",
        uri,
        span,
        related=((included.uri, included.name_span, "included definition"),),
    )


def _join(a: Span, b: Span) -> Span:
    return Span(a.start_line, a.start_char, b.end_line, b.end_char)

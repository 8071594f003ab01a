"""Compose projects: found on disk (workspace folders + discovery roots) and from running containers' labels.

Names follow Compose: `docker compose config` (the truth: `-p`/COMPOSE_PROJECT_NAME/.env/`name:`/directory) once
it answers, the same rule done in Python before that. Each project's files are re-resolved when they change on
disk (mtime), which also yields the per-service config hash that tells whether a container is out of date.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml: the pure-Python loader holds the GIL for seconds on a 1000-service file
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

from dockhand.errors import DiagnosticError
from dockhand.runtime.compose_cli import ComposeCli, background_env, run_compose_async
from dockhand.runtime.state import ContainerInfo, ProjectInfo, ServiceDecl, Snapshot, StateStore
from dockhand.runtime.threads import in_daemon_thread

logger = logging.getLogger("dockhand.discovery")

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_FILES = tuple(n.replace(".y", ".override.y", 1) for n in COMPOSE_FILES)
SKIPPED_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", "dist", "build"}
RESCAN_S = 30.0
STAT_S = 2.0


def normalize_project_name(name: str) -> str:
    """Compose's rule: lower-case, keep [a-z0-9_-], no leading `_` or `-`."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")


_NAME_LINE = re.compile(r"(?m)^name:[^\n]*$")


def _declared_name(config_file: Path) -> str:
    """The top-level `name:` of a compose file, when it is a plain string.

    Only that one line is parsed (this runs on the event loop; parsing the whole file cost seconds at 1000
    services). `docker compose config` corrects the rare name this misses (e.g. a folded multi-line scalar)."""
    with contextlib.suppress(OSError, yaml.YAMLError, UnicodeDecodeError):
        line = _NAME_LINE.search(config_file.read_text(encoding="utf-8"))
        data = yaml.load(line.group(0), Loader=_SafeLoader) if line else None
        if isinstance(data, dict) and isinstance(data.get("name"), str) and "$" not in data["name"]:
            return str(data["name"])
    return ""


def guess_project(directory: Path) -> ProjectInfo | None:
    """The project in `directory` (its first compose file plus the override), named as Compose would name it."""
    primary = primary_file(directory)
    if primary is None:
        return None
    files = [str(primary)]
    override = directory / primary.name.replace(".y", ".override.y", 1)
    if override.is_file():
        files.append(str(override))
    name = normalize_project_name(_declared_name(primary) or directory.name)
    return ProjectInfo(name=name, working_dir=str(directory), config_files=tuple(files))


def search_roots(folders: Iterable[str | None], extra: Iterable[str]) -> list[str]:
    """Where to look for projects: the workspace folders (and root) plus the configured discovery roots."""
    return sorted({p for p in (*folders, *extra) if p})


def primary_file(directory: Path) -> Path | None:
    """The compose file Compose would read first in `directory`."""
    return next((directory / n for n in COMPOSE_FILES if (directory / n).is_file()), None)


def find_project_dirs(roots: Iterable[str | Path], depth: int) -> list[Path]:
    """Folders holding a compose file, at most `depth` levels below each root."""
    found: list[Path] = []
    for root in roots:
        base = Path(root)
        if not base.is_dir():
            continue
        for current, dirs, files in os.walk(base):
            level = len(Path(current).relative_to(base).parts)
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".") and level < depth]
            if any(n in files for n in COMPOSE_FILES):
                found.append(Path(current))
    return sorted(set(found))


def projects_from_labels(containers: Iterable[ContainerInfo], known: Iterable[str]) -> list[ProjectInfo]:
    """Projects that only running containers name (their files live outside the workspace)."""
    known_names = set(known)
    seen: dict[str, ProjectInfo] = {}
    for c in containers:
        if c.project and c.project not in known_names and c.project not in seen:
            seen[c.project] = ProjectInfo(c.project, c.working_dir, c.config_files, source="labels")
    return list(seen.values())


def match_project(container: ContainerInfo, projects: Mapping[str, ProjectInfo]) -> ProjectInfo | None:
    """The project a container belongs to: by project label, else by its config files or working dir."""
    if container.project in projects:
        return projects[container.project]
    files = set(container.config_files)
    for p in projects.values():
        if files & set(p.config_files) or (container.working_dir and container.working_dir == p.working_dir):
            return p
    return None


def _service_values(config_files: Iterable[str], key: str) -> Iterator[tuple[Path, str, Any]]:
    """(file, service, value) for each service of each readable file that sets `key` (files without it are not
    parsed)."""
    for config_file in config_files:
        data = None
        with contextlib.suppress(OSError, yaml.YAMLError, UnicodeDecodeError):
            text = Path(config_file).read_text(encoding="utf-8")
            data = yaml.load(text, Loader=_SafeLoader) if key in text else None
        services = data.get("services") if isinstance(data, dict) else None
        for name, body in services.items() if isinstance(services, dict) else ():
            value = body.get(key) if isinstance(body, dict) else None
            if value is not None:
                yield Path(config_file), str(name), value


def service_extensions(config_files: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each service's `x-dockhand` mapping, later files overriding earlier ones (Compose drops service-level
    `x-*` keys from `config` output, so they are read from the files themselves)."""
    found: dict[str, dict[str, Any]] = {}
    for _file, name, extension in _service_values(config_files, "x-dockhand"):
        if isinstance(extension, dict):
            found.setdefault(name, {}).update(extension)
    return found


def env_files(config_files: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each service's `env_file` paths (absolute), from the files themselves: `compose config` merges them away."""
    found: dict[str, tuple[str, ...]] = {}
    for config_file, name, value in _service_values(config_files, "env_file"):
        entries = [value] if isinstance(value, (str, dict)) else value if isinstance(value, list) else []
        paths = [e if isinstance(e, str) else e.get("path") if isinstance(e, dict) else None for e in entries]
        found[name] = tuple(str(config_file.parent / p) for p in paths if isinstance(p, str) and "$" not in p)
    return found


def resolve(
    project: ProjectInfo,
    config_json: str,
    hashes_text: str,
    extensions: Mapping[str, Mapping[str, Any]] | None = None,
    with_env_files: Iterable[str] = (),
) -> ProjectInfo:
    """A project filled in from `compose config --format json`, `compose config --hash '*'` and the files'
    `x-dockhand` service extensions.

    Services that read an `env_file` get no hash: `config --hash` resolves the file into `environment` while `up`
    hashes the service with its `env_file` entry, so the two never match (Compose 2.40) and every such container
    would look out of date. Their drift is found key by key instead (runtime/why.drift)."""
    config: dict[str, Any] = json.loads(config_json)
    hashes = dict(line.split(" ", 1) for line in hashes_text.splitlines() if " " in line)
    for name in with_env_files:
        hashes.pop(name, None)
    services: list[ServiceDecl] = []
    for name, body in sorted((config.get("services") or {}).items()):
        depends = body.get("depends_on") or {}
        conditions = {
            str(dep): str(spec.get("condition") or "service_started") if isinstance(spec, dict) else "service_started"
            for dep, spec in (depends.items() if isinstance(depends, dict) else ((d, None) for d in depends))
        }
        environment = body.get("environment") or {}
        services.append(
            ServiceDecl(
                name=name,
                config_hash=hashes.get(name, "").strip(),
                depends_on=tuple(sorted(depends)),
                conditions=conditions,
                image=str(body.get("image") or ""),
                environment={str(k): None if v is None else str(v) for k, v in environment.items()}
                if isinstance(environment, dict)
                else {},
                x_dockhand=dict((extensions or {}).get(name) or body.get("x-dockhand") or {}),
            )
        )
    name = str(config.get("name") or project.name)
    return ProjectInfo(name, project.working_dir, project.config_files, project.source, tuple(services), True)


def _mtimes(files: Iterable[str]) -> tuple[float, ...]:
    stamps: list[float] = []
    for f in files:
        try:
            stamps.append(os.stat(f).st_mtime)
        except OSError:
            stamps.append(-1.0)
    return tuple(stamps)


class ProjectWatcher:
    """Keeps `snapshot.projects` current: rescans roots, re-resolves a project when one of its files changes."""

    def __init__(
        self,
        store: StateStore,
        roots: Callable[[], list[str]],
        depth: Callable[[], int],
        compose: Callable[[], ComposeCli],
        quiet: Callable[[], Awaitable[None]],
    ) -> None:
        self._store = store
        self._quiet = quiet
        """Awaited before each run of Compose's CLI (the server waits for the editor to be idle)."""
        self._roots = roots
        self._depth = depth
        self._compose = compose
        self._dirs: set[Path] = set()
        self._stamps: dict[str, tuple[float, ...]] = {}
        self._resolved: dict[str, ProjectInfo] = {}
        self._env_files: dict[str, tuple[str, ...]] = {}
        """The services' env_file paths per project folder, watched like the compose files."""
        self._wake = asyncio.Event()
        self._rescan = False

    def add_file(self, path: str) -> None:
        """Watch the project of an opened compose file even when it lies outside the roots."""
        directory = Path(path).parent
        if directory not in self._dirs and Path(path).name in COMPOSE_FILES:
            self._dirs.add(directory)
            self._wake.set()

    def rescan_soon(self) -> None:
        """Search the roots again now (workspace folders or discovery roots changed), not at the next periodic scan."""
        self._rescan = True
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last_scan = -RESCAN_S
        while True:
            if self._rescan or loop.time() - last_scan >= RESCAN_S:
                self._rescan = False
                found = await in_daemon_thread(find_project_dirs, self._roots(), self._depth())
                self._dirs |= set(found)
                last_scan = loop.time()
            await self._refresh()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), STAT_S)
            self._wake.clear()

    async def _refresh(self) -> None:
        changed: list[tuple[str, ProjectInfo]] = []
        for directory in sorted(self._dirs):
            key = str(directory)
            # Only stat on the idle path: parse and resolve again only when a compose file changed.
            watched = [str(directory / n) for n in (*COMPOSE_FILES, *OVERRIDE_FILES)]
            stamps = _mtimes([*watched, *self._env_files.get(key, ())])  # an env_file edit is drift too
            if self._stamps.get(key) != stamps:
                self._stamps[key] = stamps
                guess = guess_project(directory)
                if guess is None:
                    self._resolved.pop(key, None)
                else:
                    # Known at once by name and files (containers match, the tree links to the file); Compose's
                    # own answer, which waits for the editor to be idle, then fills in services and hashes.
                    self._resolved.setdefault(key, guess)
                    changed.append((key, guess))
        self._publish()
        for key, guess in changed:
            self._resolved[key] = await self._resolve(guess)
        if changed:
            self._publish()

    def _publish(self) -> None:
        current: dict[str, ProjectInfo] = {}
        for project in (self._resolved[key] for key in sorted(self._resolved)):
            current.setdefault(project.name, project)
        snapshot: Snapshot = self._store.snapshot
        for extra in projects_from_labels(snapshot.containers.values(), current):
            current[extra.name] = extra
        self._store.set_projects(current.values())

    async def _resolve(self, guess: ProjectInfo) -> ProjectInfo:
        try:
            cli = await in_daemon_thread(self._compose)  # the first call probes Compose: a subprocess, ~0.1-0.5 s
        except DiagnosticError as err:
            return ProjectInfo(guess.name, guess.working_dir, guess.config_files, error=err.message)
        base = [arg for f in guess.config_files for arg in ("-f", f)]

        async def config(*args: str) -> tuple[int, str, str]:
            await self._quiet()
            return await run_compose_async(
                cli, [*base, "config", *args], cwd=guess.working_dir, limit_s=30, env=background_env()
            )

        as_json = await config("--format", "json")
        if as_json[0] != 0:
            return ProjectInfo(guess.name, guess.working_dir, guess.config_files, error=as_json[2].strip())
        hashes = await config("--hash", "*")
        extensions = await in_daemon_thread(service_extensions, guess.config_files)
        env = await in_daemon_thread(env_files, guess.config_files)
        self._env_files[guess.working_dir] = tuple(sorted({p for paths in env.values() for p in paths}))
        try:
            return resolve(guess, as_json[1], hashes[1] if hashes[0] == 0 else "", extensions, env)
        except (ValueError, AttributeError, TypeError) as exc:
            return ProjectInfo(guess.name, guess.working_dir, guess.config_files, error=str(exc))

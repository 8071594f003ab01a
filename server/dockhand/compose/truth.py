"""`docker compose config` as the background authority: debounced, cached by content hash (TTL), errors mapped to spans.

Contract: `ComposeTruth.problems(key)` → the latest Compose findings for a project (code "compose-config"), only
for saved content (Compose reads disk) and only when the static rules found no error of their own (Compose
reports one error at a time, usually the same one). `await truth.check(snapshot, dirty)` runs Compose in a
thread (never on a request path) and returns whether the findings changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dockhand.compose.document import Node, ParsedDocument, Problem, Span
from dockhand.compose.model import ComposeProject
from dockhand.compose.uris import to_fs_path
from dockhand.config import Settings
from dockhand.errors import DiagnosticError
from dockhand.runtime.compose_cli import background_env, find_compose, run_compose

logger = logging.getLogger("dockhand.compose.truth")

_VALIDATING = re.compile(r"validating (?P<file>\S+?): (?P<path>[\w.\-]+) (?P<rest>.*)")
_SERVICE = re.compile(r'service "?(?P<name>[\w.\-]+)"?')
_KEY_PATH = re.compile(r"\b(?P<path>(?:services|networks|volumes|secrets|configs)(?:\[[\w.\-]+\]|\.[\w\-]+)+)")
_YAML_LINE = re.compile(r"line (?P<line>\d+)")
_ZERO = Span(0, 0, 0, 1)


@dataclass(frozen=True)
class _Result:
    at: float
    problems: tuple[Problem, ...]


def content_hash(project: ComposeProject, environ: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for uri in sorted(project.documents):
        digest.update(uri.encode())
        digest.update(project.documents[uri].text.encode("utf-8", "surrogatepass"))
    digest.update(repr(sorted(environ.items())).encode())
    digest.update(repr(project.files).encode())
    return digest.hexdigest()


class ComposeTruth:
    def __init__(self, settings: Callable[[], Settings], environ: Mapping[str, str]) -> None:
        self.settings = settings
        self.environ = environ
        self._cache: dict[str, _Result] = {}
        self._latest: dict[tuple[str, ...], tuple[Problem, ...]] = {}
        self._warned = False
        self._one_at_a_time = asyncio.Lock()

    def problems(self, key: tuple[str, ...]) -> tuple[Problem, ...]:
        return self._latest.get(key, ())

    async def check(self, key: tuple[str, ...], project: ComposeProject, dirty: bool, has_static_errors: bool) -> bool:
        """Run (or reuse) `docker compose config` for the project; True when its findings changed."""
        before = self._latest.get(key, ())
        if has_static_errors:
            self._latest[key] = ()  # Compose stops at its first error, which the rules already show: skip the run
            return before != ()
        if dirty or not project.files:
            return False  # Compose would read the saved files, not what the editor shows: keep the last answer
        digest = content_hash(project, self.environ)
        hit = self._cache.get(digest)
        settings = self.settings()
        if hit is None or time.monotonic() - hit.at > settings.compose_config_ttl_s:
            async with self._one_at_a_time:  # several projects settling together must not fill every core
                found = await asyncio.to_thread(self._run, project, settings)
            if found is None:
                return False
            hit = _Result(time.monotonic(), found)
            self._cache[digest] = hit
            if len(self._cache) > 256:
                self._cache.pop(next(iter(self._cache)))
        self._latest[key] = hit.problems
        return hit.problems != before

    def _run(self, project: ComposeProject, settings: Settings) -> tuple[Problem, ...] | None:
        try:
            cli = find_compose(settings.compose_binary)
        except DiagnosticError as err:
            if not self._warned:
                logger.warning("%s — %s (Compose's own check is skipped)", err.message, err.remediation)
                self._warned = True
            return None
        args = ["--project-directory", str(project.directory), "-p", project.name or "dockhand"]
        for uri in project.files:
            args += ["-f", to_fs_path(uri) or uri]
        try:
            run_compose(
                cli,
                [*args, "config", "--quiet"],
                cwd=project.directory,
                timeout=settings.compose_config_timeout_s,
                env=background_env(self.environ),
            )
        except DiagnosticError as err:
            if err.code == "compose-timeout":
                logger.warning("%s", err.message)
                return None
            return tuple(map_compose_error(project, err.message))
        return ()


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

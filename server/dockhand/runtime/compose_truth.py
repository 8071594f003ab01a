"""`docker compose config` as the background authority: debounced, cached by content hash (TTL), errors mapped to spans.

Contract: `ComposeTruth.problems(key)` → the latest Compose findings for a project (code "compose-config"), only
for saved content (Compose reads disk) and only when the static rules found no error of their own (Compose
reports one error at a time, usually the same one). `await truth.check(snapshot, dirty)` runs Compose in a
thread (never on a request path) and returns whether the findings changed. Its error text lands on spans through
the pure dockhand.compose.truth.map_compose_error.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dockhand.compose.document import Problem
from dockhand.compose.model import ComposeProject
from dockhand.compose.truth import map_compose_error
from dockhand.compose.uris import to_fs_path
from dockhand.config import Settings
from dockhand.errors import DiagnosticError
from dockhand.runtime.compose_cli import background_env, find_compose, run_compose

logger = logging.getLogger("dockhand.compose.truth")


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

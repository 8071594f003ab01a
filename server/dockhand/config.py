"""Settings: every DOCKHAND_* option in one place, read from the environment and initializationOptions."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dockhand.errors import DiagnosticError

ENV_PREFIX = "DOCKHAND_"


def _opt(default: Any, doc: str, *, minimum: float | None = None, choices: tuple[str, ...] = ()) -> Any:
    return field(default=default, metadata={"doc": doc, "minimum": minimum, "choices": choices})


@dataclass(frozen=True)
class Settings:
    """Validated settings. Field `foo_bar` is `DOCKHAND_FOO_BAR` in the environment and `fooBar` or
    `foo_bar` in initializationOptions; initializationOptions win over the environment."""

    discovery_roots: tuple[str, ...] = _opt((), "Extra folders to search for compose projects (os.pathsep-separated).")
    discovery_depth: int = _opt(4, "How deep below each root to look for compose files.", minimum=0)
    log_level: str = _opt("INFO", "Server log level.", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    diagnostics_debounce_ms: int = _opt(120, "Quiet time after an edit before diagnostics are computed.", minimum=0)
    max_document_bytes: int = _opt(5_000_000, "Compose documents larger than this are not parsed.", minimum=1)
    compose_binary: str = _opt("", "Path of the Compose v2 binary; empty means find `docker compose`.")
    docker_context: str = _opt("", "Docker context to use (like `docker --context`); empty = the CLI's choice.")
    compose_config_ttl_s: float = _opt(30.0, "How long a `docker compose config` result is reused.", minimum=0)
    compose_config_timeout_s: float = _opt(20.0, "Time limit for one `docker compose config` run.", minimum=1)
    code_lens: bool = _opt(True, "Show state-aware code lenses above services.")
    health_interval_s: float = _opt(5.0, "Actuator/HTTP health poll cadence.", minimum=0.2)
    health_timeout_s: float = _opt(2.0, "Time limit for one health request.", minimum=0.1)
    health_max_backoff_s: float = _opt(60.0, "Longest wait between polls of a failing endpoint.", minimum=1)
    health_concurrency: int = _opt(8, "Health requests in flight at once.", minimum=1)
    stats_interval_s: float = _opt(
        10.0, "How often each running container's CPU/memory/network/block I/O is sampled (0 = off).", minimum=0
    )
    trace_provider: str = _opt("otlp", "Where traces come from.", choices=("otlp", "jaeger", "zipkin", "tempo", "none"))
    trace_url: str = _opt("", "Base URL of the Jaeger/Zipkin/Tempo query API.")
    otlp_host: str = _opt("auto", "Receiver bind address: `auto` = loopback + Docker bridge gateways.")
    otlp_port: int = _opt(4318, "Port of the embedded OTLP/HTTP receiver (0 = off).", minimum=0)
    otlp_max_body_bytes: int = _opt(8_000_000, "Largest OTLP request body accepted.", minimum=1024)
    telemetry_dir: str = _opt("", "Folder of the telemetry store; empty = user cache dir.")
    telemetry_max_age_s: float = _opt(3600.0, "Spans older than this are dropped.", minimum=1)
    telemetry_max_spans: int = _opt(2_000_000, "Most spans kept on disk.", minimum=1000)
    telemetry_max_bytes: int = _opt(
        1_000_000_000, "Largest telemetry store on disk (oldest dropped).", minimum=1_000_000
    )
    log_correlation_lines: int = _opt(20_000, "Log lines kept per container for trace correlation.", minimum=100)
    log_correlation_window_s: float = _opt(900.0, "How far back container logs are read.", minimum=1)
    metrics_port: int = _opt(0, "Port of the server's own Prometheus /metrics on loopback (0 = off).", minimum=0)
    self_tracing: bool = _opt(False, "Export the server's own spans to its OTLP receiver.")

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, options: Mapping[str, Any] | None = None) -> Settings:
        """Read the environment, then overlay initializationOptions; raise DiagnosticError on a bad value."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _convert(f, raw)
        for key, raw in (options or {}).items():
            name = _snake(key)
            match = next((f for f in fields(cls) if f.name == name), None)
            if match is not None and raw is not None:
                values[name] = _convert(match, raw)
        return cls(**values)

    def with_options(self, options: Mapping[str, Any]) -> Settings:
        """A copy with initializationOptions / didChangeConfiguration values applied."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, raw in options.items():
            name = _snake(key)
            match = next((f for f in fields(self) if f.name == name), None)
            if match is not None and raw is not None:
                current[name] = _convert(match, raw)
        return dataclasses.replace(self, **current)

    @property
    def telemetry_path(self) -> Path:
        """Folder of the telemetry store."""
        if self.telemetry_dir:
            return Path(self.telemetry_dir).expanduser()
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "dockhand"


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, meaning) for every setting — for the README and the extension."""
    return [(ENV_PREFIX + f.name.upper(), repr(f.default), f.metadata["doc"]) for f in fields(Settings)]


def _snake(key: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in key)
    return out.lstrip("_").replace("-", "_")


def _convert(f: dataclasses.Field[Any], raw: Any) -> Any:
    env_name = ENV_PREFIX + f.name.upper()
    kind: type[Any] = type(f.default)
    try:
        if kind is bool:
            value: Any = raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
            if not isinstance(raw, bool) and str(raw).strip().lower() not in (
                "1",
                "true",
                "yes",
                "on",
                "0",
                "false",
                "no",
                "off",
            ):
                raise ValueError(raw)
        elif kind is tuple:
            items = raw if isinstance(raw, list | tuple) else str(raw).split(os.pathsep)
            value = tuple(str(i) for i in items if str(i))
        elif kind is int:
            value = int(raw)
        elif kind is float:
            value = float(raw)
        else:
            value = str(raw)
            if f.name == "log_level":
                value = value.upper()
    except (TypeError, ValueError):
        raise DiagnosticError(
            f"{env_name}={raw!r} is not a valid {kind.__name__}",
            f"Set {env_name} to a {kind.__name__} ({f.metadata['doc']}) or unset it to use {f.default!r}.",
            "bad-setting",
        ) from None
    minimum = f.metadata["minimum"]
    if minimum is not None and value < minimum:
        raise DiagnosticError(
            f"{env_name}={raw!r} is below its minimum {minimum}",
            f"Set {env_name} to at least {minimum}, or unset it to use {f.default!r}.",
            "bad-setting",
        )
    choices = f.metadata["choices"]
    if choices and value not in choices:
        raise DiagnosticError(
            f"{env_name}={raw!r} is not one of {', '.join(choices)}",
            f"Set {env_name} to one of {', '.join(choices)}.",
            "bad-setting",
        )
    return value

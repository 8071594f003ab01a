"""URL index: every published TCP port of a container as a real, clickable URL (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from dockhand.runtime.state import PortBinding

_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}
_TLS_PORTS = {443, 8443}


@dataclass(frozen=True)
class ServiceUrl:
    """A published URL: `label` is what a lens shows (`:8080`), `url` what a click opens."""

    label: str
    url: str
    container_port: int
    host_port: int


def engine_hostname(docker_host: str) -> str:
    """Where published ports are reachable: the engine's host for tcp:// and ssh://, else this machine."""
    parts = urlsplit(docker_host)
    if parts.scheme in ("tcp", "ssh", "http", "https") and parts.hostname:
        return parts.hostname
    return "localhost"


def _host_for(binding: PortBinding, engine_host: str) -> str:
    if binding.host_ip in _ANY_ADDRESS:
        return engine_host
    if binding.host_ip in ("127.0.0.1", "::1") and engine_host != "localhost":
        return engine_host  # loopback of a remote engine is its own loopback; the engine host is the best guess
    return binding.host_ip


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def published_urls(ports: Iterable[PortBinding], docker_host: str) -> list[ServiceUrl]:
    """One URL per published TCP host port (IPv4/IPv6 twins of one binding collapse; UDP has no URL)."""
    engine_host = engine_hostname(docker_host)
    seen: set[tuple[str, int]] = set()
    urls: list[ServiceUrl] = []
    for binding in sorted(ports, key=lambda b: (b.container_port, b.host_port, b.host_ip)):
        if binding.protocol != "tcp" or binding.host_port <= 0:
            continue
        host = _host_for(binding, engine_host)
        twin_key = (engine_host if binding.host_ip in _ANY_ADDRESS else host, binding.host_port)
        if twin_key in seen:
            continue
        seen.add(twin_key)
        scheme = "https" if binding.container_port in _TLS_PORTS else "http"
        urls.append(
            ServiceUrl(
                label=f":{binding.host_port}",
                url=f"{scheme}://{_bracket(host)}:{binding.host_port}",
                container_port=binding.container_port,
                host_port=binding.host_port,
            )
        )
    return urls

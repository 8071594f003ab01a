"""Which Docker Engine to talk to: the Docker CLI's own rules (DOCKER_HOST, DOCKER_CONTEXT, currentContext) plus
Dockhand's `dockerContext` setting, resolved to one EngineTarget that the SDK client and every Compose run share.

Context store layout (the Docker CLI's): `<config>/config.json` has `currentContext`; a context NAME lives in
`<config>/contexts/meta/<sha256(NAME)>/meta.json` (`Endpoints.docker.Host`, `SkipTLSVerify`) and its TLS files in
`<config>/contexts/tls/<sha256(NAME)>/docker/{ca,cert,key}.pem`. Precedence, as the CLI's: an explicit context
(our setting, like `--context`) > DOCKER_HOST > DOCKER_CONTEXT > currentContext > the local socket.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dockhand.errors import DiagnosticError

DEFAULT_HOST = "unix:///var/run/docker.sock"
_ENGINE_ENV = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


@dataclass(frozen=True)
class EngineTarget:
    """One engine: its address, how it was chosen (`source`), the context name if any, and TLS material."""

    host: str = DEFAULT_HOST
    context: str = "default"
    source: str = "default"
    tls_dir: str = ""
    """A folder with ca.pem / cert.pem / key.pem (the DOCKER_CERT_PATH layout); empty = no TLS."""
    tls_verify: bool = False

    @property
    def scheme(self) -> str:
        return urlsplit(self.host).scheme or "unix"

    @property
    def remote(self) -> bool:
        return self.scheme in ("tcp", "ssh", "http", "https")

    @property
    def address(self) -> str:
        """The engine's host name for URLs of published ports ("localhost" for a local socket)."""
        name = urlsplit(self.host).hostname if self.remote else None
        return name or "localhost"

    def describe(self) -> str:
        """What the status bar shows: `ctx (ssh://root@10.0.0.2)`, or the host alone for the default context."""
        return self.host if self.context in ("default", "") else f"{self.context} ({self.host})"


def config_dir(environ: Mapping[str, str]) -> Path:
    """The Docker CLI's config folder: DOCKER_CONFIG or ~/.docker."""
    configured = environ.get("DOCKER_CONFIG", "")
    return Path(configured) if configured else Path(environ.get("HOME") or Path.home()) / ".docker"


def context_id(name: str) -> str:
    """A context's folder name in the store: the SHA-256 of its name."""
    return hashlib.sha256(name.encode()).hexdigest()


def _context_missing(name: str, where: Path, detail: str = "") -> DiagnosticError:
    return DiagnosticError(
        f"Docker context `{name}` not found in {where}{': ' + detail if detail else ''}",
        "Create it (`docker context create NAME --docker host=ssh://user@host`), pick an existing one "
        "(`docker context ls`), or clear the dockhand.dockerContext setting / DOCKER_CONTEXT.",
        "docker-context",
    )


def load_context(name: str, directory: Path, source: str) -> EngineTarget:
    """An EngineTarget from a context in the store; DiagnosticError when it is missing or unreadable."""
    if name == "default":
        return EngineTarget(DEFAULT_HOST, "default", source)
    meta_file = directory / "contexts" / "meta" / context_id(name) / "meta.json"
    try:
        meta: Any = json.loads(meta_file.read_text(encoding="utf-8"))
        endpoint = meta["Endpoints"]["docker"]
        host = str(endpoint["Host"])
    except FileNotFoundError:
        raise _context_missing(name, directory / "contexts") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _context_missing(name, meta_file, f"unreadable ({exc})") from None
    tls = directory / "contexts" / "tls" / context_id(name) / "docker"
    has_tls = (tls / "ca.pem").is_file() or (tls / "cert.pem").is_file()
    verify = has_tls and not bool(endpoint.get("SkipTLSVerify"))
    return EngineTarget(host, name, source, str(tls) if has_tls else "", verify)


def _current_context(directory: Path) -> str:
    try:
        config: Any = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(config.get("currentContext") or "") if isinstance(config, dict) else ""


def resolve(setting: str = "", environ: Mapping[str, str] | None = None) -> EngineTarget:
    """The engine Dockhand talks to, by the Docker CLI's precedence with the setting first."""
    env = os.environ if environ is None else environ
    directory = config_dir(env)
    explicit = setting or env.get("DOCKHAND_DOCKER_CONTEXT", "")
    if explicit:
        return load_context(explicit, directory, "dockhand.dockerContext")
    if env.get("DOCKER_HOST"):
        cert_path = env.get("DOCKER_CERT_PATH", "") or (
            str(directory) if env.get("DOCKER_TLS_VERIFY") or env.get("DOCKER_TLS") else ""
        )
        verify = bool(env.get("DOCKER_TLS_VERIFY"))
        return EngineTarget(env["DOCKER_HOST"], "default", "DOCKER_HOST", cert_path if verify else "", verify)
    if env.get("DOCKER_CONTEXT"):
        return load_context(env["DOCKER_CONTEXT"], directory, "DOCKER_CONTEXT")
    current = _current_context(directory)
    if current:
        return load_context(current, directory, "currentContext")
    return EngineTarget()


def export(target: EngineTarget, environ: MutableMapping[str, str]) -> None:
    """Point a process environment at `target`, so the Compose CLI (and any docker CLI) the server starts talks to
    the same engine as the SDK: DOCKER_HOST wins over every context in the CLI, so it is set explicitly."""
    for key in _ENGINE_ENV:
        environ.pop(key, None)
    environ["DOCKER_HOST"] = target.host
    if target.tls_dir:
        environ["DOCKER_CERT_PATH"] = target.tls_dir
        if target.tls_verify:
            environ["DOCKER_TLS_VERIFY"] = "1"


_bridges: dict[str, str] = {}
_bridges_lock = threading.Lock()


def _bridge(url: str) -> str:
    """The local socket of the ssh bridge to `url`, started once per process."""
    from dockhand.runtime.ssh_bridge import SshBridge  # local: only ssh targets need it

    with _bridges_lock:
        if url not in _bridges:
            _bridges[url] = SshBridge(url).start()
        return _bridges[url]


def client_kwargs(target: EngineTarget, timeout: float) -> dict[str, Any]:
    """Keyword arguments for docker.DockerClient: ssh through the `ssh` binary (the user's ~/.ssh/config, agent and
    known hosts apply, as for the CLI) behind a local socket, TLS from the context's files."""
    kwargs: dict[str, Any] = {"base_url": target.host, "timeout": timeout}
    if target.scheme == "ssh":
        kwargs["base_url"] = _bridge(target.host)  # see runtime/ssh_bridge for why not the SDK's own ssh transport
        kwargs["max_pool_size"] = 4  # each pooled connection is one ssh process
    if target.tls_dir:
        import docker.tls  # local: only TLS targets need it

        tls = Path(target.tls_dir)
        cert = (str(tls / "cert.pem"), str(tls / "key.pem")) if (tls / "cert.pem").is_file() else None
        ca = str(tls / "ca.pem") if (tls / "ca.pem").is_file() else None
        kwargs["tls"] = docker.tls.TLSConfig(client_cert=cert, ca_cert=ca, verify=ca if target.tls_verify else False)
        if kwargs["base_url"].startswith("tcp://"):
            kwargs["base_url"] = "https://" + kwargs["base_url"][len("tcp://") :]
    return kwargs


_active: EngineTarget | None = None


def activate(target: EngineTarget) -> None:
    """Make `target` the server's engine: for the SDK clients made by `engine_client` and for child processes."""
    global _active
    _active = target
    export(target, os.environ)


def active() -> EngineTarget:
    """The activated engine, or (before `activate`) the one the environment names."""
    if _active is not None:
        return _active
    try:
        return resolve()
    except DiagnosticError:  # reported by whoever activates; until then the local engine
        return EngineTarget(source="fallback")


def engine_client(timeout: float = 30) -> Any:
    """A docker.DockerClient for the active engine (each caller owns and closes its client)."""
    import docker

    target = active()
    if not target.tls_dir:
        return docker.DockerClient(**client_kwargs(target, timeout))
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (set machine-wide on many hosts) replace the session's CA
    # per request: the context's CA would be ignored and every call fail verification. So the session must not read
    # the environment — set before the first call, hence a fixed version at construction, then the negotiated one.
    client = docker.DockerClient(**client_kwargs(target, timeout), version="1.24")
    client.api.trust_env = False
    client.api._version = client.api._retrieve_server_version()
    return client


def describe_payload() -> dict[str, Any]:
    """The engine's identity for the client (status bar): `host`, `context`, `remote`, `address`."""
    target = active()
    return {"host": target.host, "context": target.context, "remote": target.remote, "address": target.address}

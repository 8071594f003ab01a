"""Engine selection follows the Docker CLI: contexts made by the real `docker context create` in a throw-away
DOCKER_CONFIG, resolved by runtime/contexts with the CLI's precedence plus Dockhand's setting."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dockhand.errors import DiagnosticError
from dockhand.runtime import contexts
from dockhand.runtime.state import PortBinding
from dockhand.runtime.urls import published_urls


def docker_cli(config: Path, *args: str) -> str:
    docker = shutil.which("docker")
    assert docker, "the docker CLI is not installed: run scripts/setup"
    out = subprocess.run(
        [docker, "--config", str(config), *args], capture_output=True, text=True, timeout=30, check=True
    )
    return out.stdout.strip()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    directory = tmp_path / "docker-config"
    directory.mkdir()
    docker_cli(directory, "context", "create", "far", "--docker", "host=ssh://root@10.77.0.2")
    docker_cli(directory, "context", "create", "tls", "--docker", "host=tcp://build.example:2376")
    return directory


def test_the_cli_context_store_is_read_as_the_cli_writes_it(config: Path) -> None:
    env = {"DOCKER_CONFIG": str(config)}
    assert contexts.resolve("far", env).host == "ssh://root@10.77.0.2"
    docker_cli(config, "context", "use", "far")
    chosen = contexts.resolve("", env)
    assert (chosen.host, chosen.context, chosen.source) == ("ssh://root@10.77.0.2", "far", "currentContext")
    assert chosen.remote and chosen.address == "10.77.0.2"
    assert contexts.resolve("", {**env, "DOCKER_CONTEXT": "tls"}).host == "tcp://build.example:2376"


def test_precedence_setting_then_docker_host_then_docker_context(config: Path) -> None:
    env = {"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "far", "DOCKER_HOST": "tcp://10.0.0.9:2375"}
    assert contexts.resolve("", env).source == "DOCKER_HOST"
    assert contexts.resolve("tls", env).context == "tls"
    assert contexts.resolve("", {**env, "DOCKHAND_DOCKER_CONTEXT": "far"}).host == "ssh://root@10.77.0.2"
    assert contexts.resolve("", {"DOCKER_CONFIG": str(config)}).host == contexts.DEFAULT_HOST


def test_a_missing_context_is_an_error_with_a_remedy(config: Path) -> None:
    with pytest.raises(DiagnosticError) as caught:
        contexts.resolve("nowhere", {"DOCKER_CONFIG": str(config)})
    assert "nowhere" in caught.value.message and "docker context ls" in caught.value.remediation


def test_tls_files_of_a_context_are_used_and_exported(config: Path, tmp_path: Path) -> None:
    tls_dir = config / "contexts" / "tls" / contexts.context_id("tls") / "docker"
    tls_dir.mkdir(parents=True)
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tls_dir / name).write_text("-----BEGIN CERTIFICATE-----\n")
    target = contexts.resolve("tls", {"DOCKER_CONFIG": str(config)})
    assert target.tls_dir == str(tls_dir) and target.tls_verify
    env = {"DOCKER_CONTEXT": "tls", "PATH": "/bin"}
    contexts.export(target, env)
    assert env == {
        "PATH": "/bin",
        "DOCKER_HOST": "tcp://build.example:2376",
        "DOCKER_CERT_PATH": str(tls_dir),
        "DOCKER_TLS_VERIFY": "1",
    }


def test_the_cli_agrees_with_the_exported_environment(config: Path) -> None:
    """What the Compose CLI will see: the docker CLI itself reports the exported engine as its endpoint."""
    target = contexts.resolve("far", {"DOCKER_CONFIG": str(config)})
    env: dict[str, str] = {"DOCKER_CONTEXT": "tls"}
    contexts.export(target, env)
    docker = shutil.which("docker")
    assert docker
    shown = subprocess.run(
        [docker, "--config", str(config), "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env},
        timeout=30,
        check=True,
    ).stdout.strip()
    assert shown == "ssh://root@10.77.0.2"


def test_urls_of_a_remote_engine_use_its_address(config: Path) -> None:
    target = contexts.resolve("far", {"DOCKER_CONFIG": str(config)})
    urls = published_urls([PortBinding(8080, "tcp", "0.0.0.0", 18080)], target.host)
    assert [u.url for u in urls] == ["http://10.77.0.2:18080"]


def test_an_unreadable_meta_file_is_an_error_not_a_crash(config: Path) -> None:
    meta = config / "contexts" / "meta" / contexts.context_id("far") / "meta.json"
    meta.write_text(json.dumps({"Name": "far"}))
    with pytest.raises(DiagnosticError, match="unreadable"):
        contexts.resolve("far", {"DOCKER_CONFIG": str(config)})

"""The two-node Swarm rig (scripts/swarm-rig): brought up once per test session, torn down at its end.

A failure to bring it up fails the tests that need it — never a skip: `scripts/setup` installs what it needs."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import docker

RIG = Path(__file__).resolve().parents[2] / "scripts" / "swarm-rig"


@dataclass(frozen=True)
class Rig:
    """The rig's addresses, as `scripts/swarm-rig env` prints them."""

    manager: str
    worker: str
    manager_ip: str
    worker_ip: str
    ssh: str
    registry: str
    tls: str
    tls_dir: str

    def client(self, host: str, timeout: int = 30) -> docker.DockerClient:
        return docker.DockerClient(base_url=host, timeout=timeout)


def _run(*args: str, timeout: float = 600) -> str:
    done = subprocess.run([str(RIG), *args], capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        pytest.fail(f"scripts/swarm-rig {' '.join(args)} failed:\n{done.stderr[-3000:]}", pytrace=False)
    return done.stdout + done.stderr


@pytest.fixture(scope="session")
def swarm_rig() -> Iterator[Rig]:
    """The real rig (two dockerd in network namespaces as one Swarm, registry, sshd); down again afterwards."""
    print(_run("up").strip().splitlines()[-1])  # "up in N s": the set-up time, in the test log
    values = dict(line.split("=", 1) for line in _run("env").split("\n") if line.startswith("DOCKHAND_RIG_"))
    yield Rig(
        manager=values["DOCKHAND_RIG_MANAGER"],
        worker=values["DOCKHAND_RIG_WORKER"],
        manager_ip=values["DOCKHAND_RIG_MANAGER_IP"],
        worker_ip=values["DOCKHAND_RIG_WORKER_IP"],
        ssh=values["DOCKHAND_RIG_SSH"],
        registry=values["DOCKHAND_RIG_REGISTRY"],
        tls=values["DOCKHAND_RIG_TLS"],
        tls_dir=values["DOCKHAND_RIG_TLS_DIR"],
    )
    if os.environ.get("DOCKHAND_KEEP_RIG") != "1":  # keep it between local runs when asked
        _run("down")


@pytest.fixture
def rig_docker_config(tmp_path: Path, swarm_rig: Rig) -> Path:
    """A throw-away DOCKER_CONFIG with the rig's contexts (made by the real CLI) and the Compose plugin linked."""
    config = tmp_path / "docker-config"
    (config / "cli-plugins").mkdir(parents=True)
    plugin = Path.home() / ".docker" / "cli-plugins" / "docker-compose"
    if plugin.exists():
        (config / "cli-plugins" / "docker-compose").symlink_to(plugin.resolve())
    tls = Path(swarm_rig.tls_dir)
    with_certs = f"host={swarm_rig.tls},ca={tls / 'ca.pem'},cert={tls / 'cert.pem'},key={tls / 'key.pem'}"
    for name, endpoint in (
        ("rig-ssh", f"host={swarm_rig.ssh}"),
        ("rig-manager", f"host={swarm_rig.manager}"),
        ("rig-tls", with_certs),  # the CLI copies the certificates into the context store
    ):
        subprocess.run(
            ["docker", "--config", str(config), "context", "create", name, "--docker", endpoint],
            capture_output=True,
            check=True,
            timeout=30,
        )
    return config

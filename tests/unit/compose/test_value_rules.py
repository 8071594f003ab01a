"""The value rules (durations, byte sizes, port numbers, volume specs, container names, build platforms) agree with
Compose itself: each case is given to the real Compose binary (`config --quiet`, no engine needed) and to the rules,
and a rule must fire exactly when Compose rejects the file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockhand.compose.loader import DiskSource, load_project
from dockhand.compose.rules import check_project
from dockhand.runtime.compose_cli import ComposeCli

CASES = {
    "bad-duration": [
        "stop_grace_period: 30s",
        "stop_grace_period: 1m30s",
        "stop_grace_period: 1.5s",
        "stop_grace_period: 1µs",
        "stop_grace_period: 1d2h",
        "stop_grace_period: 1w",
        "stop_grace_period: '0'",
        "stop_grace_period: -5s",
        "stop_grace_period: .5s",
        "stop_grace_period: '30'",
        "stop_grace_period: 30S",
        "stop_grace_period: 30sec",
        "stop_grace_period: soon",
        "stop_grace_period: 1y",
        "stop_grace_period: 1.5.5s",
        "stop_grace_period: 1m0",
        "stop_grace_period: ''",
        "healthcheck: {test: [CMD, 'true'], interval: 1x}",
        "healthcheck: {test: [CMD, 'true'], start_interval: 10s}",
        "deploy: {restart_policy: {delay: 1x}}",
    ],
    "bad-size": [
        "mem_limit: 1g",
        "mem_limit: 1GiB",
        "mem_limit: 1.5 GB",
        "mem_limit: 512",
        "mem_limit: '512'",
        "mem_limit: 1b",
        "mem_limit: lots",
        "mem_limit: 1e",
        "mem_limit: ''",
        "shm_size: '1.5.5'",
        "shm_size: '1g '",
        "shm_size: 1ib",
        "shm_size: 1KiB",
        "memswap_limit: lots",
        "mem_reservation: 1x",
        "build: {context: ., shm_size: lots}",
        "deploy: {resources: {limits: {memory: lots}}}",
        "deploy: {resources: {reservations: {memory: 64m}}}",
    ],
    "bad-port": [
        "ports: ['80:99999']",
        "ports: ['70000:80']",
        "ports: ['1-70000:80']",
        "ports: ['127.0.0.1:99999:80']",
        "ports: ['65535:80']",
        "ports: ['8080-8081:80-81/udp']",
        "ports: ['[::1]:8080:80']",
        "ports: [{target: 80, published: 8080}]",
    ],
    "bad-volume-spec": [
        "volumes: [':/path']",
        "volumes: ['data:']",
        "volumes: ['a:/b:']",
        "volumes: ['a::ro']",
        "volumes: ['a::/b']",
        "volumes: ['./x:/y:ro,z']",
        "volumes: ['C:\\x:/y']",
        "volumes: ['::']",
        "volumes: ['/x']",
        "volumes: ['']",
    ],
    "bad-container-name": [
        "container_name: ''",
        "container_name: a",
        "container_name: ab",
        "container_name: -ab",
        "container_name: 'a b'",
        "container_name: _x",
        "container_name: web.1",
    ],
    "platform-not-built": [
        "{platform: linux/arm64, build: {context: ., platforms: [linux/amd64]}}",
        "{platform: linux/amd64, build: {context: ., platforms: [linux/amd64, linux/arm64]}}",
    ],
}
FLAT = [(code, snippet) for code, snippets in CASES.items() for snippet in snippets]


def compose_file(snippet: str) -> str:
    if snippet.startswith("{"):  # a whole service
        return f"services:\n  app: {snippet[:-1]}, image: nginx}}\n"
    volumes = "volumes:\n  a: {}\n  data: {}\n" if snippet.startswith("volumes") else ""
    return f"services:\n  app:\n    image: nginx\n    {snippet}\n{volumes}"


@pytest.mark.parametrize(("code", "snippet"), FLAT, ids=[f"{c}:{s}" for c, s in FLAT])
def test_the_rule_fires_exactly_when_compose_rejects(
    code: str, snippet: str, tmp_path: Path, compose_cli: ComposeCli
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "compose.yaml"
    path.write_text(compose_file(snippet))
    proc = subprocess.run(
        compose_cli.argv("-f", str(path), "config", "--quiet"), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    project = load_project([path], source=DiskSource(), environ={}, project_directory=tmp_path)
    codes = [p.code for p in check_project(project) if p.severity == "error"]
    assert (code in codes) is (proc.returncode != 0), (
        f"Compose: {proc.returncode} {proc.stderr.strip()}; rules: {codes}"
    )
    assert set(codes) <= {code}, f"other rules fired: {codes}"


def test_both_verdicts_occur_for_every_rule() -> None:
    """Each rule has accepted and rejected cases, so the test above can fail both ways."""
    assert all(len(snippets) >= 2 for snippets in CASES.values())

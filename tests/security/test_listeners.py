"""Every socket a running server listens on is bound to loopback or a Docker bridge gateway — never 0.0.0.0."""

from __future__ import annotations

import ipaddress

import docker
from tests.live_server import free_port, listening_addresses, running_server, server_process, wait_for_log


def bridge_gateways(client: docker.DockerClient) -> set[str]:
    """Gateway addresses of the engine's bridge networks (where containers reach the host)."""
    gateways: set[str] = set()
    for network in client.networks.list(filters={"driver": "bridge"}):
        for pool in (network.attrs.get("IPAM") or {}).get("Config") or []:
            if pool.get("Gateway"):
                gateways.add(pool["Gateway"])
    return gateways


async def test_every_listener_is_loopback_or_a_bridge_gateway(docker_client: docker.DockerClient) -> None:
    metrics_port, otlp_port = free_port(), free_port()
    async with running_server({"metricsPort": metrics_port, "otlpPort": otlp_port}) as lsp:
        assert await wait_for_log(lsp, "metrics on")
        listeners = listening_addresses(server_process(lsp))
        allowed = bridge_gateways(docker_client)
        assert ("127.0.0.1", metrics_port) in listeners
        exposed = [
            (ip, port) for ip, port in listeners if not ipaddress.ip_address(ip).is_loopback and ip not in allowed
        ]
        assert exposed == [], f"listening beyond loopback and bridge gateways {sorted(allowed)}"

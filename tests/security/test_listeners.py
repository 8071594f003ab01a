"""Every socket a running server listens on is bound to loopback or a Docker bridge gateway — never 0.0.0.0."""

from __future__ import annotations

import ipaddress
import socket

import psutil

import docker
from tests.live_server import free_port, listening_addresses, running_server, server_process, wait_for_log


def bridge_gateways(client: docker.DockerClient) -> set[str]:
    """Host addresses of the engine's bridge networks (where containers reach the host): the IPv4 address of each
    network's bridge interface (docker0, br-<id>) — the default bridge states no gateway in its IPAM config."""
    interfaces = psutil.net_if_addrs()
    gateways: set[str] = set()
    for network in client.networks.list(filters={"driver": "bridge"}):
        options = network.attrs.get("Options") or {}
        name = options.get("com.docker.network.bridge.name") or f"br-{network.id[:12]}"
        gateways |= {a.address for a in interfaces.get(name, []) if a.family == socket.AF_INET}
        for pool in (network.attrs.get("IPAM") or {}).get("Config") or []:
            if pool.get("Gateway"):
                gateways.add(pool["Gateway"])
    return gateways


async def test_every_listener_is_loopback_or_a_bridge_gateway(docker_client: docker.DockerClient) -> None:
    metrics_port, otlp_port = free_port(), free_port()
    async with running_server({"metricsPort": metrics_port, "otlpPort": otlp_port}) as lsp:
        assert await wait_for_log(lsp, "metrics on")
        assert await wait_for_log(lsp, f"OTLP receiver listening on http://127.0.0.1:{otlp_port}")
        # Other projects create and remove bridge networks meanwhile (the receiver follows them): a gateway
        # that exists before or after the socket listing counts.
        allowed = bridge_gateways(docker_client)
        listeners = listening_addresses(server_process(lsp))
        allowed |= bridge_gateways(docker_client)
        assert ("127.0.0.1", metrics_port) in listeners
        assert ("127.0.0.1", otlp_port) in listeners
        assert [ip for ip, port in listeners if port == metrics_port] == ["127.0.0.1"]  # metrics: loopback only
        exposed = [
            (ip, port) for ip, port in listeners if not ipaddress.ip_address(ip).is_loopback and ip not in allowed
        ]
        assert exposed == [], f"listening beyond loopback and bridge gateways {sorted(allowed)}"
        assert not [ip for ip, _ in listeners if ip in ("0.0.0.0", "::")]

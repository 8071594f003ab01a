"""What the workspace's running stack feeds telemetry: the containers whose logs are followed and the Actuator
Prometheus endpoints that are scraped (one replica per service)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from dockhand.telemetry.hub import Telemetry

logger = logging.getLogger("dockhand.telemetry.lsp")  # the name these messages had in the telemetry feature


def workspace_containers(snapshot: Any) -> list[Any]:
    """Running containers of the workspace's projects: those whose compose files the editor found, even when
    started under another project name (`-p`); other stacks on the engine are not followed."""
    projects = [p for p in snapshot.projects.values() if p.source == "files"]
    names = {p.name for p in projects}
    files = {f for p in projects for f in p.config_files}
    return [
        c
        for c in snapshot.containers.values()
        if c.running and (c.project in names or files.intersection(c.config_files))
    ]


def prometheus_targets(snapshot: Any) -> list[tuple[str, str]]:
    """(service, /actuator/prometheus URL) for each service with an Actuator health URL, one replica per service:
    counters of replicas do not add up here."""
    targets: list[tuple[str, str]] = []
    scraped: set[str] = set()
    for container_id, health in snapshot.actuator.items():
        container = snapshot.containers.get(container_id)
        if container is None or container.service in scraped or "/actuator/health" not in health.url:
            continue
        scraped.add(container.service)
        targets.append((container.service, health.url.split("/actuator/health")[0] + "/actuator/prometheus"))
    return targets


async def scrape_prometheus(hub: Telemetry, client: httpx.AsyncClient, snapshot: Any) -> None:
    """Scrape every target once into the hub's latency history; a failing endpoint is skipped (logged at debug)."""
    import httpx

    for service, url in prometheus_targets(snapshot):
        try:
            response = await client.get(url)
            if response.status_code == 200:
                hub.add_scrape(service, response.text)
        except (httpx.HTTPError, ValueError) as exc:
            logger.debug("prometheus scrape of %s failed: %s", url, exc)

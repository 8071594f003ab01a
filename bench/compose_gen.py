"""Generate realistic, valid compose projects of N services for the benchmarks (deterministic for a given N)."""

from __future__ import annotations

import random
from pathlib import Path

TIERS = ("gateway", "web", "api", "worker", "db", "cache")
TIER_NETWORKS = {
    "gateway": ["frontend"],
    "web": ["frontend", "backend"],
    "api": ["backend"],
    "worker": ["backend"],
    "db": ["data", "backend"],
    "cache": ["data"],
}


def service_name(index: int) -> str:
    return f"svc-{index:04d}"


def compose_text(services: int, project: str = "bench", seed: int = 7, typo: bool = True) -> str:
    """A compose.yaml with `services` services: images, ports, depends_on, healthchecks, env, networks, volumes.

    With `typo`, the middle service misspells `container_name` — the one mistake in an otherwise valid file, so
    every validating server has a verdict to publish (a server may stay silent about a clean file)."""
    rng = random.Random(seed + services)
    lines = [f"name: {project}", "", "services:"]
    volume_names: list[str] = []
    for index in range(services):
        name = service_name(index)
        tier = TIERS[index % len(TIERS)]
        lines.append(f"  {name}:")
        if tier == "web" and index % 4 == 1:
            lines += ["    build:", "      context: ./app", "      dockerfile: Dockerfile"]
            lines.append(f"    image: registry.local/team/{name}:1.0.0")
        else:
            lines.append(f"    image: registry.local/team/{name}:1.0.{index % 10}")
        if index % 7 == 0:
            lines.append(f"    container_name: {project}-{name}")
        if typo and index == services // 2:
            lines.append(f"    contianer_name: {project}-{name}")
        lines.append("    restart: unless-stopped")
        lines += ["    ports:", f'      - "127.0.0.1:{20000 + index}:8080"']
        lines += [
            "    environment:",
            f"      SERVICE_NAME: {name}",
            "      LOG_LEVEL: ${LOG_LEVEL:-info}",
            "      DB_PASSWORD: ${DB_PASSWORD:-changeme}",
            f"      API_TOKEN: token-{index:04d}",
            f"      UPSTREAM_URL: http://{service_name(max(index - 1, 0))}:8080",
        ]
        if index > 0:
            lines.append("    depends_on:")
            for target in sorted(rng.sample(range(index), k=min(index, rng.choice((1, 2))))):
                condition = "service_healthy" if target % 5 != 4 else "service_started"
                lines += [f"      {service_name(target)}:", f"        condition: {condition}"]
        if index % 5 != 4:
            lines += [
                "    healthcheck:",
                '      test: ["CMD", "wget", "-qO-", "http://localhost:8080/health"]',
                "      interval: 10s",
                "      timeout: 3s",
                "      retries: 5",
            ]
        lines.append("    networks:")
        lines += [f"      - {network}" for network in TIER_NETWORKS[tier]]
        if tier in ("db", "cache", "worker"):
            volume = f"{tier}-data-{index:04d}"
            volume_names.append(volume)
            lines += ["    volumes:", f"      - {volume}:/var/lib/{tier}", "      - ./config:/etc/app:ro"]
        if tier == "api":
            lines += ["    secrets:", "      - db_password", "    configs:", "      - app_config"]
        lines += ["    labels:", f"      com.example.tier: {tier}"]
    lines += ["", "networks:", "  frontend: {}", "  backend: {}", "  data:", "    internal: true", ""]
    lines.append("volumes:")
    lines += [f"  {volume}: {{}}" for volume in volume_names] or ["  unused: {}"]
    lines += ["", "secrets:", "  db_password:", "    file: ./secrets/db_password.txt", ""]
    lines += ["configs:", "  app_config:", "    file: ./config/app.yaml", ""]
    return "\n".join(lines)


def write_project(directory: Path, services: int, project: str = "bench") -> Path:
    """Write compose.yaml plus the files it references (build context, secret, config); return the file."""
    (directory / "app").mkdir(parents=True, exist_ok=True)
    (directory / "app" / "Dockerfile").write_text("FROM dockhand/busybox:local\n")
    (directory / "secrets").mkdir(exist_ok=True)
    (directory / "secrets" / "db_password.txt").write_text("not-a-real-password\n")
    (directory / "config").mkdir(exist_ok=True)
    (directory / "config" / "app.yaml").write_text("feature: on\n")
    compose = directory / "compose.yaml"
    compose.write_text(compose_text(services, project))
    return compose

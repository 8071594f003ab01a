"""The project model resolves files like Compose: overrides, .env interpolation, names, references with spans."""

from __future__ import annotations

from pathlib import Path

from dockhand.compose.document import Span
from dockhand.compose.loader import load_project_from_disk, path_uri

MAIN = """\
name: My_App
x-common: &common
  restart: unless-stopped
services:
  web:
    <<: *common
    image: web:1
    ports: ["${WEB_PORT:-8080}:80", "127.0.0.1:9000:9000"]
    depends_on:
      db: {condition: "${DB_CONDITION:-service_healthy}"}
    volumes: ["data:/var/lib", "./x:/x"]
    networks: [front]
    environment:
      API_URL: http://${HOST:-localhost}
  db:
    image: postgres
    healthcheck: {test: ["CMD", "true"]}
    network_mode: "service:web"
volumes: {data: {}}
networks: {front: {}}
"""
OVERRIDE = """\
services:
  web:
    ports: !override ["8081:80"]
  db:
    links: ["web:w"]
"""


def write_project(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text(MAIN)
    (tmp_path / "compose.override.yaml").write_text(OVERRIDE)
    (tmp_path / ".env").write_text("WEB_PORT=7000\nHOST=api\n")
    return tmp_path / "compose.yaml"


def test_override_file_joins_the_project_and_merges(tmp_path: Path) -> None:
    project = load_project_from_disk(write_project(tmp_path), environ={})
    main, override = path_uri(tmp_path / "compose.yaml"), path_uri(tmp_path / "compose.override.yaml")
    assert project.files == (main, override)
    assert project.name == "my_app" and project.name_source == "name:"
    web = project.services["web"]
    assert [d.uri for d in web.declarations] == [main, override]
    assert [(p.published, p.target, p.uri) for p in web.config.ports] == [("8081", "80", override)]
    assert web.config.restart == "unless-stopped"
    assert web.config.environment == {"API_URL": "http://api"}
    assert [(d.name, d.condition) for d in web.config.depends_on] == [("db", "service_healthy")]
    assert project.services["db"].config.has_healthcheck


def test_environment_wins_over_dotenv_and_names_the_project(tmp_path: Path) -> None:
    project = load_project_from_disk(
        write_project(tmp_path), environ={"HOST": "shell", "COMPOSE_PROJECT_NAME": "Other"}
    )
    assert project.services["web"].config.environment["API_URL"] == "http://shell"
    assert (project.name, project.name_source) == ("other", "COMPOSE_PROJECT_NAME")


def test_references_cover_only_the_name(tmp_path: Path) -> None:
    project = load_project_from_disk(write_project(tmp_path), environ={})
    main = path_uri(tmp_path / "compose.yaml")
    refs = {(r.kind, r.name, r.context): r for r in project.references}
    assert refs[("service", "web", "network_mode")].span == Span(17, 27, 17, 30)
    assert refs[("volume", "data", "volumes")].span == Span(10, 15, 10, 19)
    assert refs[("service", "web", "links")].uri == path_uri(tmp_path / "compose.override.yaml")
    assert project.symbol_at(main, 9, 7) == refs[("service", "db", "depends_on")]
    decl = project.symbol_at(main, 4, 3)
    assert decl is not None and decl.name == "web" and decl.kind == "service"
    assert project.service_at(main, 12) is project.services["web"]
    assert project.service_at(main, 16) is project.services["db"]
    assert project.service_at(main, 19) is None

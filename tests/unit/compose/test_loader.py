"""File sets, include, extends, profiles and !reset resolve as Compose resolves them; errors land where to fix."""

from __future__ import annotations

from pathlib import Path

from dockhand.compose.loader import load_project_from_disk, path_uri
from dockhand.compose.rules import check_project


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_compose_file_variable_picks_the_file_set(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".env": "COMPOSE_FILE=a.yml:b.yml\n",
            "a.yml": "services:\n  web: {image: 'web:1', ports: ['80:80']}\n",
            "b.yml": "services:\n  web: {image: 'web:2'}\n",
        },
    )
    project = load_project_from_disk(tmp_path / "b.yml", environ={})
    assert project.files == (path_uri(tmp_path / "a.yml"), path_uri(tmp_path / "b.yml"))
    assert project.services["web"].config.image == "web:2"
    assert project.services["web"].config.ports[0].published == "80"


def test_a_file_outside_the_default_set_is_its_own_project(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services: {a: {image: x}}\n", "stack.prod.yml": "services: {b: {image: y}}\n"})
    project = load_project_from_disk(tmp_path / "stack.prod.yml", environ={})
    assert list(project.services) == ["b"]


def test_include_brings_services_and_their_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": "include: [db/compose.yaml]\nservices:\n  app: {image: app, depends_on: [db]}\n",
            "db/compose.yaml": "services:\n  db: {image: postgres, env_file: db.env}\n",
            "db/db.env": "A=1\n",
        },
    )
    project = load_project_from_disk(tmp_path / "compose.yaml", environ={})
    assert set(project.services) == {"app", "db"}
    assert project.services["db"].definition.uri == path_uri(tmp_path / "db" / "compose.yaml")
    assert project.services["db"].config.env_files[0].exists  # relative to the included file's folder
    assert check_project(project) == []


def test_missing_include_and_conflicting_service_are_reported_on_the_include(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": "include:\n  - other.yaml\n  - nope.yaml\nservices:\n  db: {image: x}\n",
            "other.yaml": "services:\n  db: {image: y}\n",
        },
    )
    project = load_project_from_disk(tmp_path / "compose.yaml", environ={})
    codes = {(p.code, p.span.start_line) for p in check_project(project)}
    assert ("include-conflict", 1) in codes and ("missing-file", 2) in codes


def test_extends_from_another_file_and_cycles(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.yaml": "services:\n  tmpl:\n    image: base\n    environment: {A: '1', B: '1'}\n",
            "compose.yaml": (
                "services:\n"
                "  app:\n    extends: {file: base.yaml, service: tmpl}\n    environment: {B: '2'}\n"
                "  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n"
            ),
        },
    )
    project = load_project_from_disk(tmp_path / "compose.yaml", environ={})
    app = project.services["app"].config
    assert (app.image, dict(app.environment)) == ("base", {"A": "1", "B": "2"})
    assert path_uri(tmp_path / "base.yaml") in project.documents
    assert "extends-cycle" in {p.code for p in check_project(project)}


def test_reset_drops_inherited_values(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": "services:\n  app: {image: x, ports: ['80:80'], command: [a], depends_on: [db]}\n  db: {image: y}\n",
            "compose.override.yaml": "services:\n  app:\n    ports: !reset []\n    depends_on: !reset []\n",
        },
    )
    app = load_project_from_disk(tmp_path / "compose.yaml", environ={}).services["app"].config
    assert app.ports == () and app.depends_on == ()
    assert "ports" not in app.data and app.data["command"] == ["a"]


def test_profiles_and_project_name_sources(tmp_path: Path) -> None:
    write(tmp_path / "My Dir", {"compose.yaml": "services:\n  a: {image: x, profiles: [debug]}\n"})
    project = load_project_from_disk(tmp_path / "My Dir", environ={"COMPOSE_PROFILES": "debug,ops"})
    assert project.active_profiles == ("debug", "ops")
    assert project.services["a"].config.profiles == ("debug",)
    assert (project.name, project.name_source) == ("mydir", "directory")
    bad = load_project_from_disk(tmp_path / "My Dir", environ={"COMPOSE_PROJECT_NAME": "Bad Name"})
    assert "bad-project-name" in {p.code for p in check_project(bad)}

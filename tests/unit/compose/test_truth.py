"""`docker compose config` (the real Compose v2 binary) runs in the background, is cached, and lands on spans."""

from __future__ import annotations

from pathlib import Path

from dockhand.compose.document import Span
from dockhand.compose.loader import load_project_from_disk
from dockhand.compose.truth import map_compose_error
from dockhand.config import Settings
from dockhand.runtime.compose_cli import ComposeCli
from dockhand.runtime.compose_truth import ComposeTruth

TEXT = "services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres\n    imgae: typo\n"


def test_validation_error_maps_to_the_key_path(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(TEXT)
    project = load_project_from_disk(tmp_path, environ={})
    message = (
        f"`docker compose config` failed: validating {tmp_path / 'compose.yaml'}: services.db additional "
        "properties 'imgae' not allowed"
    )
    (problem,) = map_compose_error(project, message)
    assert problem.code == "compose-config" and problem.span == Span(4, 2, 4, 4)
    assert "additional properties 'imgae' not allowed" in problem.message


def test_service_error_maps_to_the_service_name(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(TEXT)
    project = load_project_from_disk(tmp_path, environ={})
    (problem,) = map_compose_error(
        project, 'failed: service "web" refers to undefined network x: invalid compose project'
    )
    assert problem.span == Span(1, 2, 1, 5)


async def test_real_compose_verdict_is_cached_and_suppressed_when_rules_already_found_errors(
    tmp_path: Path, compose_cli: ComposeCli
) -> None:
    (tmp_path / "compose.yaml").write_text(TEXT)
    project = load_project_from_disk(tmp_path, environ={})
    settings = Settings(compose_binary=compose_cli.prefix[0] if len(compose_cli.prefix) == 1 else "")
    truth = ComposeTruth(lambda: settings, {"PATH": "/usr/bin:/bin"})
    key = project.files
    assert await truth.check(key, project, dirty=False, has_static_errors=False)
    (problem,) = truth.problems(key)
    assert "imgae" in problem.message and problem.span.start_line == 4
    assert not await truth.check(key, project, dirty=False, has_static_errors=False)  # same content: cached
    assert await truth.check(key, project, dirty=False, has_static_errors=True)
    assert truth.problems(key) == ()
    assert not await truth.check(key, project, dirty=True, has_static_errors=False)  # unsaved: Compose can't see it


async def test_real_compose_accepts_a_valid_project(tmp_path: Path, compose_cli: ComposeCli) -> None:
    (tmp_path / "compose.yaml").write_text(TEXT.replace("    imgae: typo\n", ""))
    project = load_project_from_disk(tmp_path, environ={})
    settings = Settings(compose_binary=compose_cli.prefix[0] if len(compose_cli.prefix) == 1 else "")
    truth = ComposeTruth(lambda: settings, {"PATH": "/usr/bin:/bin"})
    assert not await truth.check(project.files, project, dirty=False, has_static_errors=False)
    assert truth.problems(project.files) == ()


def test_key_paths_in_other_error_shapes_map_to_the_deepest_key(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx\n    mem_limit: lots\n    deploy: {replicas: many}\n"
    )
    project = load_project_from_disk(tmp_path, environ={})
    (size,) = map_compose_error(project, "failed: 'services[web].mem_limit' invalid size: 'lots'")
    assert size.span == Span(3, 4, 3, 13)
    (cast,) = map_compose_error(
        project, 'failed: error while interpolating services.web.deploy.replicas: failed to cast: parsing "many"'
    )
    assert cast.span == Span(4, 13, 4, 21)

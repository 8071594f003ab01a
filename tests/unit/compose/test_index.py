"""The project index: editor text wins over disk, snapshots are per project, including projects rebuild too."""

from __future__ import annotations

from pathlib import Path

from dockhand.compose.index import ProjectIndex, ProjectSnapshot
from dockhand.compose.loader import path_uri


def test_open_document_text_wins_over_disk_and_versions_are_kept(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  disk: {image: x}\n")
    index = ProjectIndex(environ={})
    uri = path_uri(tmp_path / "compose.yaml")
    assert index.for_uri(uri) is None
    index.open(uri, "services:\n  editor: {image: x, depends_on: [nope]}\n", 7)
    (snap,) = index.rebuild(uri)
    assert list(snap.project.services) == ["editor"]
    assert snap.versions[uri] == 7
    assert index.for_uri(uri) is snap.project
    assert [p.code for p in index.problems_for(uri)] == ["undefined-service"]


def test_override_file_shares_the_project_and_listeners_hear_changes(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web: {image: x}\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  web: {ports: ['80:80']}\n")
    index = ProjectIndex(environ={})
    heard: list[ProjectSnapshot] = []
    index.listeners.append(heard.append)
    main, override = path_uri(tmp_path / "compose.yaml"), path_uri(tmp_path / "compose.override.yaml")
    index.open(override, "services:\n  web: {ports: ['81:80']}\n", 2)
    index.rebuild(override)
    assert index.for_uri(main) is index.for_uri(override)
    assert index.for_uri(main).services["web"].config.ports[0].published == "81"  # type: ignore[union-attr]
    assert heard and heard[-1].key == (main, override)


def test_editing_an_included_file_rebuilds_the_including_project(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("include: [lib/db.yaml]\nservices:\n  app: {image: a, depends_on: [db]}\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "db.yaml").write_text("services:\n  db: {image: postgres}\n")
    index = ProjectIndex(environ={})
    main, lib = path_uri(tmp_path / "compose.yaml"), path_uri(tmp_path / "lib" / "db.yaml")
    index.load_path(tmp_path / "compose.yaml")
    assert index.problems_for(main) == ()
    index.open(lib, "services:\n  database: {image: postgres}\n", 3)
    index.rebuild(lib)
    assert "undefined-service" in {p.code for p in index.problems_for(main)}
    assert index.for_uri(lib) is not None and "database" in index.for_uri(lib).services  # type: ignore[union-attr]


def _problems(index: ProjectIndex, uri: str) -> list[tuple[str, int, int]]:
    return sorted((p.code, p.span.start_line, p.span.start_char) for p in index.problems_for(uri))


def test_a_project_warmed_from_disk_is_reused_when_opened_unchanged_and_not_when_edited(tmp_path: Path) -> None:
    text = (
        "services:\n"
        "  web:\n    image: nginx\n    restart: sometimes\n    depends_on: [api, ghost]\n"
        "  api:\n    image: api\n    environment:\n      TOKEN: ${API_TOKEN}\n"
    )
    compose = tmp_path / "compose.yaml"
    compose.write_text(text)
    uri = path_uri(compose)
    cold = ProjectIndex(environ={})
    cold.open(uri, text, 1)
    cold.rebuild(uri)

    warm = ProjectIndex(environ={})
    warm.warm(compose)
    assert warm.for_uri(uri) is None  # analysed, not registered: nothing shows until the file is opened
    on_disk = warm._disk.cached(compose)
    warm.open(uri, text, 1)
    warm.rebuild(uri)
    document = warm.document(uri)
    assert document is not None and on_disk is not None and document.root is on_disk.root  # the parse was reused
    assert _problems(warm, uri) == _problems(cold, uri)
    assert {p[0] for p in _problems(warm, uri)} >= {"bad-value", "undefined-service", "unset-variable"}

    edited = text.replace("ghost", "api2")
    warm.close(uri)
    warm.open(uri, edited, 2)  # unsaved edits: the editor's text is parsed, not the warmed disk text
    warm.rebuild(uri)
    document = warm.document(uri)
    assert document is not None and document.root is not on_disk.root
    assert any(p.code == "undefined-service" and "api2" in p.message for p in warm.problems_for(uri))

"""Diagnostics end to end: didOpen/didChange publish located, coded findings with the document version."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from dockhand.compose.loader import path_uri

BROKEN = """\
services:
  web:
    image: nginx
    depends_on: [dbb]
    restat: always
    ports: ["8080:80"]
  api:
    image: api
    ports: ["8080:8000"]
  db:
    image: postgres
"""


async def wait_for(
    client: LanguageClient, uri: str, version: int | None, codes: set[str] | None = None
) -> list[types.Diagnostic]:
    """Wait until diagnostics for `uri` at `version` arrive (and contain `codes` when given)."""
    for _ in range(200):
        got = client.diagnostics.get(uri)
        if got is not None and (codes is None or codes <= {str(d.code) for d in got}):
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics for {uri}: {client.diagnostics.get(uri)}")


def track_versions(client: LanguageClient) -> dict[str, int | None]:
    """Record the version of every publishDiagnostics (pytest-lsp keeps only the diagnostics)."""
    versions: dict[str, int | None] = {}
    features = client.protocol.fm.features
    original = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        versions[params.uri] = params.version
        original(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    return versions


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="dockercompose", version=version, text=text)
        )
    )


async def test_open_reports_undefined_service_unknown_key_and_port_clash(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = path_uri(tmp_path / "compose.yaml")
    open_doc(client, uri, BROKEN)
    diagnostics = await wait_for(client, uri, 1, {"undefined-service", "unknown-key", "port-clash"})
    by_code = {str(d.code): d for d in diagnostics}
    assert by_code["undefined-service"].range == types.Range(
        start=types.Position(line=3, character=17), end=types.Position(line=3, character=20)
    )
    assert "Did you mean `db`?" in by_code["undefined-service"].message
    assert "Did you mean `restart`?" in by_code["unknown-key"].message
    clashes = [d for d in diagnostics if d.code == "port-clash"]
    assert {d.range.start.line for d in clashes} == {5, 8}
    assert all(d.source == "dockhand" for d in diagnostics)


async def test_fixing_the_file_clears_diagnostics_with_the_new_version(client: LanguageClient, tmp_path: Path) -> None:
    versions = track_versions(client)
    uri = path_uri(tmp_path / "compose.yaml")
    open_doc(client, uri, BROKEN)
    await wait_for(client, uri, 1, {"undefined-service"})
    assert versions[uri] == 1
    fixed = BROKEN.replace("[dbb]", "[db]").replace("restat", "restart").replace("8080:8000", "8081:8000")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    for _ in range(200):
        if client.diagnostics.get(uri) == () and versions.get(uri) == 2:
            break
        await asyncio.sleep(0.05)
    assert client.diagnostics.get(uri) == ()
    assert versions.get(uri) == 2


async def test_syntax_error_lands_on_its_line(client: LanguageClient, tmp_path: Path) -> None:
    uri = path_uri(tmp_path / "docker-compose.yml")
    open_doc(client, uri, "services:\n  web:\n    image: nginx\n   ports: [1\n")
    diagnostics = await wait_for(client, uri, 1, {"yaml-syntax"})
    (syntax,) = [d for d in diagnostics if d.code == "yaml-syntax"]
    assert syntax.severity == types.DiagnosticSeverity.Error and syntax.range.start.line == 3


async def test_problem_in_override_file_is_published_on_that_file(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "compose.override.yaml").write_text("services:\n  web:\n    networks: [back]\n")
    uri = path_uri(tmp_path / "compose.yaml")
    open_doc(client, uri, "services:\n  web:\n    image: nginx\n")
    override = path_uri(tmp_path / "compose.override.yaml")
    diagnostics = await wait_for(client, override, None, {"undefined-network"})
    assert diagnostics[0].range.start == types.Position(line=2, character=15)


async def test_non_compose_yaml_is_left_alone(client: LanguageClient, tmp_path: Path) -> None:
    uri = path_uri(tmp_path / "values.yaml")
    open_doc(client, uri, "replicas: [unclosed\n")
    marker = path_uri(tmp_path / "compose.yaml")
    open_doc(client, marker, "services:\n  a: {image: x, depends_on: [b]}\n")
    await wait_for(client, marker, 1, {"undefined-service"})
    assert uri not in client.diagnostics


async def test_compose_verdict_arrives_for_what_the_rules_do_not_check(client: LanguageClient, tmp_path: Path) -> None:
    """The real `docker compose config` runs in the background on the saved file and its error lands on the key."""
    text = "services:\n  web:\n    image: nginx\n    ulimits:\n      nofile:\n        soft: 1\n"  # no `hard:`
    (tmp_path / "compose.yaml").write_text(text)
    uri = path_uri(tmp_path / "compose.yaml")
    open_doc(client, uri, text)
    for _ in range(600):
        got = client.diagnostics.get(uri) or ()
        if any(d.code == "compose-config" for d in got):
            break
        await asyncio.sleep(0.05)
    (verdict,) = [d for d in client.diagnostics.get(uri) or () if d.code == "compose-config"]
    assert "services.web.ulimits.nofile must be a integer or string" in verdict.message
    assert verdict.range.start == types.Position(line=4, character=6)


async def test_override_file_changed_on_disk_is_picked_up(client: LanguageClient, tmp_path: Path) -> None:
    """A file the editor does not have open changes on disk: the watcher event re-resolves the project."""
    uri = path_uri(tmp_path / "compose.yaml")
    open_doc(client, uri, "services:\n  web:\n    image: nginx\n")
    override = tmp_path / "compose.override.yaml"  # notifications are handled in order: the project exists now
    override.write_text("services:\n  web:\n    depends_on: [ghost]\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path_uri(override), type=types.FileChangeType.Created)]
        )
    )
    diagnostics = await wait_for(client, path_uri(override), None, {"undefined-service"})
    assert diagnostics[0].range.start == types.Position(line=2, character=17)

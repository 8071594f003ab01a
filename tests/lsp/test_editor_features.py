"""Editor features end to end against the real server, as VS Code and as Neovim (which negotiates UTF-8 columns):
hover cards, definition and references across an included file, completion (+ resolve), document links that never
leave the project tree, the outline, and service rename."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from dockhand.compose.loader import path_uri
from dockhand.lsp.features.hover import SECTION_SEPARATOR

MAIN = """\
include:
  - shared/compose.yaml
services:
  web:
    build:
      context: ./app
      dockerfile: Dockerfile
    image: shop/web:1
    env_file: [web.env, outside.env]
    depends_on:
      db:
        condition: service_healthy
    networks: [front]
    volumes: ["assets:/srv"]
    secrets: [api_key]
    environment:
      DB_PASSWORD: hunter2
      LOG_LEVEL: info
  api: {labels: {note: "👋 café"}, depends_on: [db], image: shop/api}
networks: {front: {}}
volumes: {assets: {}}
secrets: {api_key: {file: ./key.txt}}
"""
SHARED = """\
services:
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready"]
      interval: 5s
"""
API_LINE = 18
WEB_NAME = types.Position(3, 3)


def write_project(root: Path, outside: Path) -> tuple[str, str]:
    (root / "app").mkdir()
    (root / "app" / "Dockerfile").write_text("FROM scratch\n")
    (root / "shared").mkdir()
    (root / "shared" / "compose.yaml").write_text(SHARED)
    (root / "web.env").write_text("A=1\n")
    (root / "key.txt").write_text("k\n")
    (outside / "outside.env").write_text("B=2\n")
    os.symlink(outside / "outside.env", root / "outside.env")  # exists, but leads out of the project tree
    (root / "compose.yaml").write_text(MAIN)
    return path_uri(root / "compose.yaml"), path_uri(root / "shared" / "compose.yaml")


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str, str]:
    root = tmp_path / "shop"
    outside = tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    main, shared = write_project(root, outside)
    return root, main, shared


def column(client: LanguageClient, text: str, code_points: int) -> int:
    """A column in the negotiated position encoding (Neovim asks for UTF-8, VS Code uses UTF-16)."""
    encoding = client.initialize_result.capabilities.position_encoding  # type: ignore[attr-defined]
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text[:code_points].encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return code_points
    return len(text[:code_points].encode("utf-16-le")) // 2


def word_range(client: LanguageClient, text: str, line: int, word: str, occurrence: int = 0) -> types.Range:
    line_text = text.splitlines()[line]
    start = -1
    for _ in range(occurrence + 1):
        start = line_text.index(word, start + 1)
    return types.Range(
        start=types.Position(line, column(client, line_text, start)),
        end=types.Position(line, column(client, line_text, start + len(word))),
    )


async def open_and_index(client: LanguageClient, uri: str, text: str, probe: types.Position = WEB_NAME) -> None:
    """Open the document and wait until the server has indexed its project (a clean file publishes nothing)."""
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="dockercompose", version=1, text=text)
        )
    )
    for _ in range(100):
        if await hover_at(client, uri, probe) is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the server never indexed the project")


def at(rng: types.Range) -> types.Position:
    return types.Position(rng.start.line, rng.start.character + 1)


async def hover_at(client: LanguageClient, uri: str, position: types.Position) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )


async def test_hover_shows_the_static_card_with_secrets_masked(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, _shared = project
    await open_and_index(client, main, MAIN)
    name = word_range(client, MAIN, 3, "web")
    hover = await hover_at(client, main, at(name))
    assert hover is not None and hover.range == name
    assert isinstance(hover.contents, types.MarkupContent) and hover.contents.kind == types.MarkupKind.Markdown
    card = hover.contents.value
    assert card.startswith("**service** `web` · project `shop`\n*declared in* `compose.yaml:4`")
    for line in (
        "- **image** `shop/web:1`",
        "- **build** `./app` · Dockerfile `Dockerfile`",
        "- **depends on** `db` (healthy)",
        "- **networks** `front`",
        "- `DB_PASSWORD` = `••••`",
        "- `LOG_LEVEL` = `info`",
    ):
        assert line in card
    assert "hunter2" not in card


async def test_hover_after_non_ascii_uses_the_negotiated_columns(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, _shared = project
    await open_and_index(client, main, MAIN)
    db = word_range(client, MAIN, API_LINE, "db")
    hover = await hover_at(client, main, at(db))
    static = (
        "**service** `db` · project `shop`\n"
        "*declared in* `shared/compose.yaml:2`\n\n"
        "- **image** `postgres:16`\n"
        "- **used by** `web`, `api`\n"
        "- **healthcheck** `pg_isready` (every 5s)"
    )
    assert hover is not None and hover.range == db
    assert isinstance(hover.contents, types.MarkupContent) and hover.contents.kind == types.MarkupKind.Markdown
    # The static card comes first; other features (the live stack) may append their sections after a rule.
    assert hover.contents.value == static or hover.contents.value.startswith(static + SECTION_SEPARATOR)


async def test_definition_and_references_cross_into_the_included_file(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, shared = project
    await open_and_index(client, main, MAIN)
    use = word_range(client, MAIN, 10, "db")
    declared = types.Range(types.Position(1, 2), types.Position(1, 4))
    definition = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=main), position=at(use))
    )
    assert definition == [
        types.LocationLink(
            target_uri=shared,
            target_range=types.Range(types.Position(1, 2), types.Position(6, 0)),
            target_selection_range=declared,
            origin_selection_range=use,
        )
    ]
    references = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=main),
            position=at(use),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert references is not None
    assert sorted(references, key=lambda loc: (loc.uri, loc.range.start.line)) == [
        types.Location(uri=main, range=use),
        types.Location(uri=main, range=word_range(client, MAIN, API_LINE, "db")),
        types.Location(uri=shared, range=declared),
    ]


async def test_completion_offers_defined_names_where_a_reference_goes(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, _shared = project
    await open_and_index(client, main, MAIN)
    # The user starts a `links:` list under web and has typed "d" — the YAML is incomplete but names still come.
    insert_at = types.Position(13, 0)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=main, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(insert_at, insert_at), text="    links:\n      - d\n"
                )
            ],
        )
    )
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=main), position=types.Position(14, 9))
    )
    replace = types.Range(types.Position(14, 8), types.Position(14, 9))
    assert result == types.CompletionList(
        is_incomplete=False,
        items=tuple(  # the client decodes arrays as tuples
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Module,
                detail="service",
                text_edit=types.TextEdit(range=replace, new_text=name),
                data={"uri": main, "kind": "service", "name": name},
            )
            for name in ("db", "api")  # included services come first, as Compose loads them; never `web` itself
        ),
    )
    resolved = await client.completion_item_resolve_async(result.items[0])
    assert isinstance(resolved.documentation, types.MarkupContent)
    assert resolved.documentation.value.startswith("**service** `db` · project `shop`")


async def test_document_links_stay_inside_the_project(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    root, main, _shared = project
    await open_and_index(client, main, MAIN)
    links = await client.text_document_document_link_async(
        types.DocumentLinkParams(text_document=types.TextDocumentIdentifier(uri=main))
    )
    assert links is not None
    found = {(link.range.start.line, link.target) for link in links}
    real = root.resolve()
    assert found == {
        (1, (real / "shared" / "compose.yaml").as_uri()),
        (5, (real / "app").as_uri()),
        (6, (real / "app" / "Dockerfile").as_uri()),
        (8, (real / "web.env").as_uri()),
    }  # outside.env exists but is a symlink out of the tree: no link
    env = next(link for link in links if link.range.start.line == 8)
    assert env.range == word_range(client, MAIN, 8, "web.env")


async def test_outline_lists_sections_services_and_keys(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, _shared = project
    await open_and_index(client, main, MAIN)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=main))
    )
    assert symbols is not None
    assert [s.name for s in symbols] == ["include", "services", "networks", "volumes", "secrets"]
    services = symbols[1]
    assert isinstance(services, types.DocumentSymbol)
    api = (services.children or [])[1]
    line = MAIN.splitlines()[API_LINE]
    assert api == types.DocumentSymbol(
        name="api",
        kind=types.SymbolKind.Class,
        range=types.Range(types.Position(API_LINE, 2), types.Position(API_LINE, column(client, line, len(line)))),
        selection_range=word_range(client, MAIN, API_LINE, "api"),
        detail="shop/api",
        children=tuple(
            types.DocumentSymbol(
                name=key,
                kind=types.SymbolKind.Property,
                range=types.Range(
                    word_range(client, MAIN, API_LINE, key).start, word_range(client, MAIN, API_LINE, value).end
                ),
                selection_range=word_range(client, MAIN, API_LINE, key),
                detail=detail,
            )
            for key, value, detail in (
                ("labels", '"}', "1 keys"),
                ("depends_on", "db]", "db"),
                ("image", "shop/api", "shop/api"),
            )
        ),
    )


async def test_rename_a_service_everywhere(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, shared = project
    await open_and_index(client, main, MAIN)
    use = word_range(client, MAIN, API_LINE, "db")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=types.TextDocumentIdentifier(uri=main), position=at(use))
    )
    assert prepared == types.PrepareRenamePlaceholder(range=use, placeholder="db")
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=types.TextDocumentIdentifier(uri=main), position=at(use), new_name="postgres")
    )
    main_edits = (  # the client decodes arrays as tuples
        types.TextEdit(range=word_range(client, MAIN, 10, "db"), new_text="postgres"),
        types.TextEdit(range=use, new_text="postgres"),
    )
    shared_edits = (types.TextEdit(range=types.Range(types.Position(1, 2), types.Position(1, 4)), new_text="postgres"),)
    assert edit is not None
    if edit.document_changes is not None:  # VS Code: versioned edits, so a stale document is never patched
        assert sorted(edit.document_changes, key=lambda change: change.text_document.uri) == [  # type: ignore[union-attr]
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=main, version=1), edits=main_edits
            ),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=shared, version=None),
                edits=shared_edits,
            ),
        ]
    else:  # Neovim: plain changes
        assert edit == types.WorkspaceEdit(changes={main: main_edits, shared: shared_edits})


async def test_rename_refuses_networks_and_taken_names(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, _shared = project
    await open_and_index(client, main, MAIN)
    network = word_range(client, MAIN, 12, "front")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=types.TextDocumentIdentifier(uri=main), position=at(network))
    )
    assert prepared is None
    with pytest.raises(JsonRpcException, match="already exists"):
        await client.text_document_rename_async(
            types.RenameParams(
                text_document=types.TextDocumentIdentifier(uri=main),
                position=at(word_range(client, MAIN, 3, "web")),
                new_name="api",
            )
        )


async def test_hover_on_a_secret_reference_shows_where_and_who_never_the_content(
    client: LanguageClient, project
) -> None:  # type: ignore[no-untyped-def]
    _root, main, _shared = project
    await open_and_index(client, main, MAIN)
    use = word_range(client, MAIN, 14, "api_key")
    hover = await hover_at(client, main, at(use))
    static = (
        "**secret** `api_key` · project `shop`\n"
        "*declared in* `compose.yaml:22`\n\n"
        "- **file** `./key.txt`\n\n"
        "**used by** `web`"
    )
    assert hover is not None and hover.range == use
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value == static or hover.contents.value.startswith(static + SECTION_SEPARATOR)


async def test_hover_never_answers_from_stale_positions(client: LanguageClient, project) -> None:  # type: ignore[no-untyped-def]
    _root, main, _shared = project
    await open_and_index(client, main, MAIN)
    # Hold the re-index back (a long debounce) so the snapshot stays older than the text while we hover.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockhand": {"diagnosticsDebounceMs": 60_000}})
    )
    top = types.Position(0, 0)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=main, version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(top, top), text="# shop\n")],
        )
    )
    old_web, new_web = at(word_range(client, MAIN, 3, "web")), types.Position(4, 3)
    for position in (old_web, new_web):  # `web` moved down a line; the (held back) snapshot has it on line 3
        stale = await hover_at(client, main, position)
        assert stale is None  # no answer rather than the card of whatever the old positions point at
    # Reopening re-indexes at once: now the card is there, at the new position.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=main))
    )
    await open_and_index(client, main, "# shop\n" + MAIN, probe=new_web)
    fresh = await hover_at(client, main, new_web)
    assert fresh is not None and fresh.range == types.Range(types.Position(4, 2), types.Position(4, 5))

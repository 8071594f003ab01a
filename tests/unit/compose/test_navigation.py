"""Navigation answers from the prebuilt model: symbols, definitions and references across files, completion
contexts read from raw lines (also mid-edit), service rename, hover cards with masked secrets, and the outline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lsprotocol import types

from dockhand.compose.cards import MASK, is_secret_name, mask_value, resource_card, static_card
from dockhand.compose.document import Span, parse_document
from dockhand.compose.loader import load_project_from_disk, path_uri
from dockhand.compose.model import ComposeProject
from dockhand.compose.navigation import (
    CompletionContext,
    RenameError,
    Target,
    completion_context,
    completion_names,
    definition_spans,
    document_links,
    prepare_rename,
    reference_spans,
    rename_edits,
    symbol_at,
)
from dockhand.compose.outline import DETAILED_SERVICES
from dockhand.lsp.convert import document_outline, flat_outline

MAIN = """\
name: shop
include:
  - shared/compose.yaml
services:
  web:
    image: shop/web:1
    depends_on:
      db:
        condition: service_healthy
    links: ["cache:redis"]
    networks: [front]
    volumes: ["assets:/srv", "./static:/static"]
    secrets: [api_key]
    environment:
      DB_PASSWORD: hunter2
      DATABASE_URL: postgres://shop:s3cret@db:5432/shop
      LOG_LEVEL: info
  cache:
    image: redis:7
    network_mode: "service:web"
  api: {labels: {note: "👋 café"}, depends_on: [db], image: shop/api}
networks: {front: {}}
volumes: {assets: {}}
secrets: {api_key: {file: ./key.txt}}
"""
SHARED = """\
services:
  db:
    image: postgres:16
    healthcheck: {test: ["CMD", "pg_isready"]}
"""
OVERRIDE = """\
services:
  web:
    ports: ["8080:80"]
"""


@pytest.fixture
def shop(tmp_path: Path) -> ComposeProject:
    (tmp_path / "compose.yaml").write_text(MAIN)
    (tmp_path / "compose.override.yaml").write_text(OVERRIDE)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "compose.yaml").write_text(SHARED)
    (tmp_path / "key.txt").write_text("k\n")
    return load_project_from_disk(tmp_path / "compose.yaml", environ={})


def uris(tmp_path: Path) -> tuple[str, str, str]:
    return (
        path_uri(tmp_path / "compose.yaml"),
        path_uri(tmp_path / "compose.override.yaml"),
        path_uri(tmp_path / "shared" / "compose.yaml"),
    )


def test_symbol_at_finds_declarations_and_references(shop: ComposeProject, tmp_path: Path) -> None:
    main, _, _ = uris(tmp_path)
    assert symbol_at(shop, main, 4, 3) == Target("service", "web", main, Span(4, 2, 4, 5), True)
    assert symbol_at(shop, main, 7, 7) == Target("service", "db", main, Span(7, 6, 7, 8), False)
    assert symbol_at(shop, main, 9, 14) == Target("service", "cache", main, Span(9, 13, 9, 18), False)
    assert symbol_at(shop, main, 19, 28) == Target("service", "web", main, Span(19, 27, 19, 30), False)
    assert symbol_at(shop, main, 5, 10) is None  # an image is not a name the project defines


def test_spans_after_non_ascii_count_utf16_units(shop: ComposeProject, tmp_path: Path) -> None:
    main, _, _ = uris(tmp_path)
    line = MAIN.splitlines()[20]
    code_points = line.index("[db]") + 1
    utf16 = code_points + 1  # 👋 is two UTF-16 units; é is one
    target = symbol_at(shop, main, 20, utf16)
    assert target == Target("service", "db", main, Span(20, utf16, 20, utf16 + 2), False)


def test_definitions_and_references_cross_included_and_override_files(shop: ComposeProject, tmp_path: Path) -> None:
    main, override, shared = uris(tmp_path)
    assert definition_spans(shop, "service", "db") == [(shared, Span(1, 2, 1, 4))]
    assert definition_spans(shop, "service", "web") == [(main, Span(4, 2, 4, 5)), (override, Span(1, 2, 1, 5))]
    assert sorted(reference_spans(shop, "service", "db", include_declaration=False)) == sorted(
        [(main, Span(7, 6, 7, 8)), (main, Span(20, 48, 20, 50))]
    )
    with_decl = reference_spans(shop, "network", "front", include_declaration=True)
    assert with_decl == [(main, Span(21, 11, 21, 16)), (main, Span(10, 15, 10, 20))]


def test_rename_service_everywhere_it_is_named(shop: ComposeProject, tmp_path: Path) -> None:
    main, override, _ = uris(tmp_path)
    target = prepare_rename(shop, main, 19, 28)
    assert target is not None and target.name == "web"
    edits = rename_edits(shop, target, "frontend")
    assert edits == {
        main: [(Span(4, 2, 4, 5), "frontend"), (Span(19, 27, 19, 30), "frontend")],
        override: [(Span(1, 2, 1, 5), "frontend")],
    }


def test_rename_refuses_what_would_break_the_project(shop: ComposeProject, tmp_path: Path) -> None:
    main, _, _ = uris(tmp_path)
    assert prepare_rename(shop, main, 10, 17) is None  # a network: renaming it would orphan Docker's network
    target = prepare_rename(shop, main, 4, 3)
    assert target is not None
    with pytest.raises(RenameError, match="already exists"):
        rename_edits(shop, target, "cache")
    with pytest.raises(RenameError, match="not a valid service name"):
        rename_edits(shop, target, "web app")


COMPLETION_TEXT = """\
services:
  web:
    depends_on:
      - d
    links: [db, c
    networks:
      front:
      b
    network_mode: service:w
    extends:
      service: ap
    volumes:
      - dat
      - ./x
    secrets:
      - source: pw
        target: y
    configs:
    - co
    labels:
      - a
  db:
    depends_on:
      ca
    links: ["é-db", d
"""


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (3, ("service", Span(3, 8, 3, 9), "d", "web")),
        (4, ("service", Span(4, 16, 4, 17), "c", "web")),
        (7, ("network", Span(7, 6, 7, 7), "b", "web")),
        (8, ("service", Span(8, 26, 8, 27), "w", "web")),
        (10, ("service", Span(10, 15, 10, 17), "ap", "web")),
        (12, ("volume", Span(12, 8, 12, 11), "dat", "web")),
        (13, None),  # a bind-mount path
        (15, ("secret", Span(15, 16, 15, 18), "pw", "web")),
        (16, None),  # `target:` is a path inside the container
        (18, ("config", Span(18, 6, 18, 8), "co", "web")),
        (20, None),  # labels are free text
        (23, ("service", Span(23, 6, 23, 8), "ca", "db")),
        (24, ("service", Span(24, 20, 24, 21), "d", "db")),
    ],
)
def test_completion_context_reads_the_expected_kind(line: int, expected: tuple[str, Span, str, str] | None) -> None:
    document = parse_document("file:///p/compose.yaml", COMPLETION_TEXT)
    text = COMPLETION_TEXT.splitlines()[line]
    context = completion_context(document, line, document.client_char(line, len(text)))
    assert context == (CompletionContext(*expected) if expected else None)  # type: ignore[arg-type]


def test_completion_works_while_the_yaml_is_broken() -> None:
    text = "services:\n  web:\n    depends_on: [db\n  db:\n    image: x\n"
    document = parse_document("file:///p/compose.yaml", text)
    assert document.root is None  # mid-edit: an unclosed flow sequence
    context = completion_context(document, 2, 19)
    assert context == CompletionContext("service", Span(2, 17, 2, 19), "db", "web")


def test_completion_names_leave_out_the_service_itself(shop: ComposeProject) -> None:
    context = CompletionContext("service", Span(0, 0, 0, 0), "", "web")
    assert completion_names(shop, context) == ["db", "cache", "api"]  # included files load first, as in Compose
    assert completion_names(shop, CompletionContext("secret", Span(0, 0, 0, 0), "", "web")) == ["api_key"]


def test_static_card_shows_resolved_config_and_masks_secrets(shop: ComposeProject) -> None:
    card = static_card(shop, "web")
    assert "**service** `web` · project `shop`" in card
    assert "- **image** `shop/web:1`" in card
    assert "- **ports** `8080→80/tcp`" in card  # merged in from the override file
    assert "- **depends on** `db` (healthy)" in card
    assert "- **used by** `cache`" in card
    assert f"- `DB_PASSWORD` = `{MASK}`" in card
    assert f"- `DATABASE_URL` = `postgres://shop:{MASK}@db:5432/shop`" in card
    assert "- `LOG_LEVEL` = `info`" in card
    assert "hunter2" not in card and "s3cret" not in card
    assert static_card(shop, "nope") == ""


def test_resource_cards_say_where_and_who(shop: ComposeProject) -> None:
    card = resource_card(shop, "secret", "api_key")
    assert "**secret** `api_key`" in card and "- **file** `./key.txt`" in card and "**used by** `web`" in card
    assert "k\n" not in card  # the secret's content is never read into a card
    assert "*not declared at the top level*" in resource_card(shop, "volume", "ghost")


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("POSTGRES_PASS", True),
        ("GITHUB_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("apiKey", True),
        ("GOOGLE_APPLICATION_CREDENTIALS", True),
        ("LOG_LEVEL", False),
        ("SERVICE_NAME", False),
        ("KEYBOARD_LAYOUT", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret
    assert (mask_value(name, "v") == MASK) is secret


def test_outline_nests_sections_services_and_keys(shop: ComposeProject, tmp_path: Path) -> None:
    main, _, _ = uris(tmp_path)
    symbols = document_outline(shop.documents[main])
    assert [s.name for s in symbols] == ["name", "include", "services", "networks", "volumes", "secrets"]
    services = symbols[2]
    assert [s.name for s in services.children or ()] == ["web", "cache", "api"]
    web = (services.children or [])[0]
    assert web.kind == types.SymbolKind.Class and web.detail == "shop/web:1"
    assert web.selection_range == types.Range(types.Position(4, 2), types.Position(4, 5))
    assert web.range == types.Range(types.Position(4, 2), types.Position(16, 21))
    assert [c.name for c in web.children or ()][:3] == ["image", "depends_on", "links"]

    def inside(symbol: types.DocumentSymbol) -> None:
        r, s = symbol.range, symbol.selection_range
        assert (r.start.line, r.start.character) <= (s.start.line, s.start.character)
        assert (s.end.line, s.end.character) <= (r.end.line, r.end.character)
        for child in symbol.children or ():
            inside(child)

    for symbol in symbols:
        inside(symbol)
    flat = flat_outline(shop.documents[main], main)
    assert (
        types.SymbolInformation(
            name="db", kind=types.SymbolKind.Property, location=flat[0].location, container_name=None
        )
        not in flat
    )
    assert any(s.name == "web" and s.container_name == "services" for s in flat)


def test_outline_of_a_huge_file_stops_at_services() -> None:
    count = DETAILED_SERVICES + 1
    text = "services:\n" + "".join(f"  s{i}:\n    image: x\n" for i in range(count))
    symbols = document_outline(parse_document("file:///p/compose.yaml", text))
    services = symbols[0].children or []
    assert len(services) == count and all(s.children is None for s in services)
    assert services[0].detail == "x"


def test_outline_of_unparsable_text_is_empty() -> None:
    assert document_outline(parse_document("file:///p/compose.yaml", "services: [\n")) == []


def test_completion_in_a_parsed_file_uses_the_tree_for_the_top_level_key() -> None:
    services = "".join(f"  s{i}:\n    image: x\n    networks:\n      - back\n" for i in range(50))
    text = f"services:\n{services}networks:\n  back: {{}}\nx-list:\n  networks:\n    - ba\n"
    document = parse_document("file:///p/compose.yaml", text)
    assert document.root is not None
    last_item = 4 + 4 * 49
    assert completion_context(document, last_item, 12) == CompletionContext(
        "network", Span(last_item, 8, last_item, 12), "back", "s49"
    )
    assert completion_context(document, len(text.splitlines()) - 1, 8) is None  # not under `services:`


def test_document_links_never_leave_the_project_tree(tmp_path: Path) -> None:
    root, outside = tmp_path / "stack", tmp_path / "elsewhere"
    (root / "app").mkdir(parents=True)
    outside.mkdir()
    (root / "app" / "Dockerfile").write_text("FROM scratch\n")
    (root / "app.env").write_text("A=1\n")
    (outside / "secret.env").write_text("B=2\n")
    (root / "linked.env").symlink_to(outside / "secret.env")
    (root / "compose.yaml").write_text(
        "services:\n"
        "  web:\n"
        "    build: ./app\n"
        "    env_file: [app.env, linked.env, ../elsewhere/secret.env, app/../app.env, missing.env]\n"
        "  tool:\n"
        "    build: {context: ../elsewhere}\n"
    )
    project = load_project_from_disk(root / "compose.yaml", environ={})
    links = document_links(project, os.path.realpath)
    real = root.resolve()
    assert links == {
        path_uri(root / "compose.yaml"): [
            (Span(2, 11, 2, 16), real / "app" / "Dockerfile"),  # `build: ./app` opens its Dockerfile
            (Span(3, 15, 3, 22), real / "app.env"),
            (Span(3, 61, 3, 75), real / "app.env"),
        ]
    }

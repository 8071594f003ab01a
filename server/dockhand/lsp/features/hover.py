"""textDocument/hover: the card of the service, network, volume, secret or config whose name is under the cursor.

Serves: textDocument/hover. Reads the project snapshot only (no I/O). The static card comes from
dockhand.compose.cards; other features append their own sections with `add_hover_section(server, provider)` —
the live stack adds state and health that way. A provider gets a HoverContext and returns Markdown or None; a
provider that fails is logged and skipped, so one broken section never hides the card.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from lsprotocol import types
from pygls.capabilities import get_capability

from dockhand.compose.cards import resource_card, static_card
from dockhand.compose.index import canonical_uri
from dockhand.compose.model import ComposeProject
from dockhand.compose.navigation import Target, still_named, symbol_at
from dockhand.lsp.convert import to_range
from dockhand.lsp.server import DockhandServer

logger = logging.getLogger("dockhand.hover")

SECTION_SEPARATOR = "\n\n---\n\n"


@dataclass(frozen=True)
class HoverContext:
    """What a hover section provider may use: the project snapshot and the named thing under the cursor."""

    project: ComposeProject
    target: Target
    uri: str
    position: types.Position


HoverSection = Callable[[HoverContext], str | None]
_sections: weakref.WeakKeyDictionary[DockhandServer, list[HoverSection]] = weakref.WeakKeyDictionary()


def add_hover_section(server: DockhandServer, provider: HoverSection, *, first: bool = False) -> None:
    """Append (or, with `first`, prepend) a section to every hover card of this server."""
    providers = _sections.setdefault(server, [])
    if first:
        providers.insert(0, provider)
    else:
        providers.append(provider)


def static_section(context: HoverContext) -> str | None:
    target = context.target
    if target.kind == "service":
        return static_card(context.project, target.name) or None
    return resource_card(context.project, target.kind, target.name) or None


def hover_markdown(server: DockhandServer, context: HoverContext) -> str | None:
    """Every section's Markdown joined by rules, in order (None when no section had anything to say)."""
    parts = []
    for provider in _sections.get(server, [static_section]):
        try:
            text = provider(context)
        except Exception:
            logger.exception("hover section %s failed", getattr(provider, "__name__", provider))
            continue
        if text:
            parts.append(text)
    return SECTION_SEPARATOR.join(parts) or None


def target_at(
    ls: DockhandServer, client_uri: str, position: types.Position
) -> tuple[ComposeProject, Target, str] | None:
    """(project, named thing, canonical uri) under the cursor — None when the snapshot no longer matches the text.

    Shared by hover, definition and references: between an edit and the debounced rebuild the snapshot's
    positions are stale, so the editor's current line must still show the name where the snapshot has it."""
    uri = canonical_uri(client_uri)
    snapshot = ls.projects.snapshot_for(uri)
    if snapshot is None:
        return None
    target = symbol_at(snapshot.project, uri, position.line, position.character)
    if target is None:
        return None
    document = ls.workspace.text_documents.get(unquote(client_uri))
    if document is not None and document.version != snapshot.versions.get(uri):
        lines = document.lines
        line = lines[target.span.start_line].rstrip("\r\n") if target.span.start_line < len(lines) else ""
        if not still_named(target, line, ls.projects.encoding()):
            return None
    return snapshot.project, target, uri


def register(server: DockhandServer) -> None:
    """Wire textDocument/hover; the static card is the first section."""
    add_hover_section(server, static_section, first=True)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: DockhandServer, params: types.HoverParams) -> types.Hover | None:
        found = target_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        project, target, uri = found
        markdown = hover_markdown(ls, HoverContext(project, target, uri, params.position))
        if markdown is None:
            return None
        formats = get_capability(ls.client_capabilities, "text_document.hover.content_format", [])
        kind = types.MarkupKind.Markdown if types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=markdown),
            range=to_range(target.span),
        )

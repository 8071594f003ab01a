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

from lsprotocol import types
from pygls.capabilities import get_capability

from dockhand.compose.cards import resource_card, static_card
from dockhand.compose.index import canonical_uri
from dockhand.compose.model import ComposeProject
from dockhand.compose.navigation import Target, symbol_at
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


def register(server: DockhandServer) -> None:
    """Wire textDocument/hover; the static card is the first section."""
    add_hover_section(server, static_section, first=True)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: DockhandServer, params: types.HoverParams) -> types.Hover | None:
        uri = canonical_uri(params.text_document.uri)
        project = ls.projects.for_uri(uri)
        if project is None:
            return None
        target = symbol_at(project, uri, params.position.line, params.position.character)
        if target is None:
            return None
        markdown = hover_markdown(ls, HoverContext(project, target, uri, params.position))
        if markdown is None:
            return None
        formats = get_capability(ls.client_capabilities, "text_document.hover.content_format", [])
        kind = types.MarkupKind.Markdown if types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=markdown),
            range=target.span.to_range(),
        )

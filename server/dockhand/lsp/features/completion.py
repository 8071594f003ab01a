"""textDocument/completion: the project's names where a reference is expected; completionItem/resolve adds the card.

Serves: textDocument/completion, completionItem/resolve. Where: depends_on, links, volumes_from, extends(.service),
network_mode `service:`, a service's networks, named volume sources, secrets and configs (see
dockhand.compose.navigation.completion_context, which reads the raw lines so it works while the YAML is broken).
Names come from the project snapshot; the item's documentation (the hover card) is built only on resolve.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability

from dockhand.compose.cards import resource_card
from dockhand.compose.index import canonical_uri
from dockhand.compose.model import Kind
from dockhand.compose.navigation import completion_context, completion_names
from dockhand.lsp.convert import to_range
from dockhand.lsp.server import DockhandServer

ITEM_KINDS: dict[Kind, types.CompletionItemKind] = {
    "service": types.CompletionItemKind.Module,
    "network": types.CompletionItemKind.Interface,
    "volume": types.CompletionItemKind.Folder,
    "secret": types.CompletionItemKind.Constant,
    "config": types.CompletionItemKind.File,
}
TRIGGER_CHARACTERS = [" ", ":", "[", ","]


def register(server: DockhandServer) -> None:
    """Wire completion and its resolve step."""

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=True),
    )
    def on_completion(ls: DockhandServer, params: types.CompletionParams) -> types.CompletionList | None:
        uri = canonical_uri(params.text_document.uri)
        project = ls.projects.for_uri(uri)
        document = ls.projects.document(uri) or (project.documents.get(uri) if project else None)
        if project is None or document is None:
            return None
        context = completion_context(document, params.position.line, params.position.character)
        if context is None:
            return None
        edit_range = to_range(context.span)
        items = [
            types.CompletionItem(
                label=name,
                kind=ITEM_KINDS[context.kind],
                detail=context.kind,
                text_edit=types.TextEdit(range=edit_range, new_text=name),
                data={"uri": uri, "kind": context.kind, "name": name},
            )
            for name in completion_names(project, context)
        ]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.COMPLETION_ITEM_RESOLVE)
    def on_resolve(ls: DockhandServer, item: types.CompletionItem) -> types.CompletionItem:
        data: Any = item.data
        if not isinstance(data, dict) or data.get("kind") not in ITEM_KINDS:
            return item
        project = ls.projects.for_uri(str(data.get("uri", "")))
        card = resource_card(project, data["kind"], str(data.get("name", ""))) if project else ""
        if card:
            formats = get_capability(
                ls.client_capabilities, "text_document.completion.completion_item.documentation_format", []
            )
            kind = types.MarkupKind.Markdown if types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText
            item.documentation = types.MarkupContent(kind=kind, value=card)
        return item

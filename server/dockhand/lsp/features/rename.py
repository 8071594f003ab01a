"""textDocument/prepareRename and textDocument/rename: a service renamed across every file that names it.

Serves: textDocument/prepareRename, textDocument/rename. Only services (renaming a volume or network would make
Docker create a new, empty one). Edits are computed from the project snapshot, so they are refused with
ContentModified while a changed document has not been re-indexed yet — stale positions must never be edited.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams

from dockhand.compose.index import canonical_uri
from dockhand.compose.navigation import RenameError, prepare_rename, rename_edits
from dockhand.lsp.convert import to_range
from dockhand.lsp.server import DockhandServer


def _stale(ls: DockhandServer, uri: str) -> bool:
    """Whether an open document of the project changed after the snapshot was built."""
    snapshot = ls.projects.snapshot_for(uri)
    if snapshot is None:
        return True
    for member, version in snapshot.versions.items():
        document = ls.projects.document(member)
        if document is not None and document.version != version:
            return True
    return False


def register(server: DockhandServer) -> None:
    """Wire prepareRename and rename."""

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def on_prepare(ls: DockhandServer, params: types.PrepareRenameParams) -> types.PrepareRenameResult | None:
        uri = canonical_uri(params.text_document.uri)
        project = ls.projects.for_uri(uri)
        if project is None or _stale(ls, uri):
            return None
        target = prepare_rename(project, uri, params.position.line, params.position.character)
        if target is None:
            return None
        return types.PrepareRenamePlaceholder(range=to_range(target.span), placeholder=target.name)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def on_rename(ls: DockhandServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        uri = canonical_uri(params.text_document.uri)
        project = ls.projects.for_uri(uri)
        if project is None:
            return None
        if _stale(ls, uri):
            raise JsonRpcContentModified("The document changed while renaming; try again.")
        target = prepare_rename(project, uri, params.position.line, params.position.character)
        if target is None:
            return None
        try:
            edits = rename_edits(project, target, params.new_name)
        except RenameError as err:
            raise JsonRpcInvalidParams(str(err)) from err
        text_edits = {
            file_uri: [types.TextEdit(range=to_range(span), new_text=text) for span, text in spans]
            for file_uri, spans in edits.items()
        }
        if get_capability(ls.client_capabilities, "workspace.workspace_edit.document_changes", False):
            snapshot = ls.projects.snapshot_for(uri)
            versions = snapshot.versions if snapshot else {}
            return types.WorkspaceEdit(
                document_changes=[
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=file_uri, version=versions.get(file_uri)
                        ),
                        edits=list(file_edits),
                    )
                    for file_uri, file_edits in text_edits.items()
                ]
            )
        return types.WorkspaceEdit(changes=text_edits)

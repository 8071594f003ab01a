"""file: URIs ↔ filesystem paths with the standard library, exactly as pygls.uris spells them (the editor's keys).

pygls' from_fs_path/to_fs_path follow vscode-uri: every path character but `/` percent-encoded, a Windows drive
letter lower-cased and its colon kept, `//host/share` paths as a URI authority. The model keys documents by
these strings, so they must match the server's byte for byte (tests/unit/compose/test_uris.py compares both).
"""

from __future__ import annotations

import os
import re
from urllib import parse

_DRIVE_LETTER_PATH = re.compile(r"^/[a-zA-Z]:")
_IS_WINDOWS = os.name == "nt"


def from_fs_path(path: str) -> str:
    """The file: URI of a filesystem path."""
    netloc = ""
    if _IS_WINDOWS:
        path = path.replace("\\", "/")
    if path[:2] == "//":  # a UNC share: its host is the authority
        end = path.index("/", 2)
        netloc, path = path[2:end], path[end:]
    if not path.startswith("/"):
        path = "/" + path
    if _DRIVE_LETTER_PATH.match(path):
        path = path[0] + path[1].lower() + path[2:]
        quoted_path = path[:3] + parse.quote(path[3:])
    else:
        quoted_path = parse.quote(path)
    return parse.urlunparse(("file", parse.quote(netloc), quoted_path, "", "", ""))


def to_fs_path(uri: str) -> str | None:
    """The filesystem path of a file: URI, or None for any other scheme."""
    scheme, netloc, path, _params, _query, _fragment = parse.urlparse(uri)
    scheme, netloc, path = parse.unquote(scheme), parse.unquote(netloc), parse.unquote(path)
    if scheme != "file":
        return None
    if netloc and path:
        value = f"//{netloc}{path}"
    elif _DRIVE_LETTER_PATH.match(path):
        value = path[1].lower() + path[2:]
    else:
        value = path
    return value.replace("/", "\\") if _IS_WINDOWS else value

"""compose.uris spells file: URIs exactly as pygls.uris does (the server keys documents by pygls' spelling)."""

from __future__ import annotations

import pytest
from pygls import uris as pygls_uris

from dockhand.compose.uris import from_fs_path, to_fs_path

ODD_PATHS = [
    "/srv/app/compose.yaml",
    "/srv/my app/compose.yaml",
    "/srv/dépôt/ünïcødé/compose.yaml",
    "/srv/日本語/compose.yaml",
    "/srv/a#b/compose.yaml",
    "/srv/100%/compose.yaml",
    "/srv/%20already/compose.yaml",
    "/srv/semi;colon/q?x=1/compose.yaml",
    "/srv/plus+and&amp/compose.yaml",
    "/srv/tilde~/[brackets]/compose.yaml",
    "/srv/emoji-🐳/compose.yaml",
    "relative/compose.yaml",
    "/C:/Users/x/compose.yaml",
    "//host/share/compose.yaml",
    "/",
]

ODD_URIS = [
    "file:///srv/my%20app/compose.yaml",
    "file:///srv/a%23b/compose.yaml",
    "file:///srv/a#fragment",
    "file:///srv/x;params",
    "file:///srv/q?query=1",
    "file:///C%3A/Users/compose.yaml",
    "file:///c:/Users/compose.yaml",
    "file://host/share/compose.yaml",
    "file:///srv/%F0%9F%90%B3",
    "untitled:Untitled-1",
    "https://example.invalid/compose.yaml",
    "",
]


@pytest.mark.parametrize("path", ODD_PATHS)
def test_from_fs_path_matches_pygls(path: str) -> None:
    assert from_fs_path(path) == pygls_uris.from_fs_path(path)


@pytest.mark.parametrize("path", ODD_PATHS)
def test_round_trip_matches_pygls(path: str) -> None:
    uri = from_fs_path(path)
    assert to_fs_path(uri) == pygls_uris.to_fs_path(uri)


@pytest.mark.parametrize("uri", ODD_URIS)
def test_to_fs_path_matches_pygls(uri: str) -> None:
    assert to_fs_path(uri) == pygls_uris.to_fs_path(uri)

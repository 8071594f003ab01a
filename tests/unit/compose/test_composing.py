"""The model holds no lock: a parse that overlaps another (the swap of PyYAML's node classes is module state)
fails loudly instead of composing with the other parse's state, and the next parse works again."""

from __future__ import annotations

import pytest

from dockhand.compose.document import parse_document
from dockhand.compose.nodes import composing


def test_an_overlapping_parse_is_refused_and_the_next_one_works() -> None:
    with composing(None, "file:///p/outer.yaml", []), pytest.raises(RuntimeError, match="one at a time"):
        parse_document("file:///p/inner.yaml", "services:\n  web:\n    image: nginx\n")
    document = parse_document("file:///p/compose.yaml", "services:\n  web:\n    image: nginx\n")
    assert document.root is not None and document.root.get("services") is not None

"""Inline suppressions: which lines and rule ids a `# dockhand: ignore[…]` comment covers."""

from __future__ import annotations

from dockhand.compose.document import Problem, Span, parse_document
from dockhand.compose.suppress import suppressions, without_suppressed

TEXT = """\
services:
  web:
    # dockhand: ignore[unknown-key, port-clash]
    imgae: nginx
    restat: always  # dockhand: ignore[unknown-key]
    #dockhand:ignore
    depends_on: [dbb]
    image: "# dockhand: ignore[x]"
"""


def test_a_comment_line_covers_the_next_line_and_a_trailing_comment_its_own() -> None:
    assert suppressions(TEXT) == {
        3: frozenset({"unknown-key", "port-clash"}),
        4: frozenset({"unknown-key"}),
        6: frozenset({"*"}),
        7: frozenset({"x"}),  # inside a quoted value: a text search cannot tell, and it only ever hides findings
    }


def test_only_the_named_rules_on_those_lines_are_dropped() -> None:
    doc = parse_document("file:///c.yaml", TEXT)

    def at(code: str, line: int) -> Problem:
        return Problem(code, "m", doc.uri, Span(line, 4, line, 9))

    problems = [at("unknown-key", 3), at("undefined-service", 3), at("unknown-key", 4), at("undefined-service", 6)]
    kept = without_suppressed(problems, {doc.uri: doc})
    assert [(p.code, p.span.start_line) for p in kept] == [("undefined-service", 3)]


def test_a_text_without_the_marker_costs_nothing() -> None:
    assert suppressions("services: {}\n") == {}

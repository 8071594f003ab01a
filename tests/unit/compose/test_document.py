"""Parsing keeps exact positions (UTF-16 aware), merges `<<` keys, and turns every bad input into a Problem."""

from __future__ import annotations

import pytest

from dockhand.compose.document import Span, parse_document

URI = "file:///p/compose.yaml"


def test_key_and_value_spans_are_exact() -> None:
    doc = parse_document(URI, "services:\n  web:\n    image: nginx:1.27\n")
    assert doc.problems == ()
    web = doc.root.get("services").get("web")  # type: ignore[union-attr]
    assert doc.root.get("services").key_node("web").span == Span(1, 2, 1, 5)  # type: ignore[union-attr]
    assert web.get("image").span == Span(2, 11, 2, 21)  # type: ignore[union-attr]
    assert web.get("image").value == "nginx:1.27"  # type: ignore[union-attr]


def test_columns_count_utf16_code_units_after_non_ascii() -> None:
    text = 'services:\n  app:\n    command: "héllo 😀"  # ünïcode\n    image: x\n    labels: {a: "😀😀", b: c}\n'
    doc = parse_document(URI, text)
    app = doc.root.get("services").get("app")  # type: ignore[union-attr]
    # "héllo 😀" quoted is 9 code points but 10 UTF-16 units (the emoji is a surrogate pair)
    assert app.get("command").span == Span(2, 13, 2, 23)  # type: ignore[union-attr]
    labels = app.get("labels")  # type: ignore[union-attr]
    assert labels.key_node("b").span == Span(4, 24, 4, 25)  # type: ignore[union-attr]
    utf8 = parse_document(URI, text, encoding="utf-8")
    assert utf8.root.get("services").get("app").get("command").span == Span(2, 13, 2, 26)  # type: ignore[union-attr]


def test_yaml_1_2_scalars_like_compose() -> None:
    doc = parse_document(URI, "a: 22:22\nb: yes\nc: true\nd: 8080\ne: 2024-01-01\n")
    assert doc.root.to_python() == {"a": "22:22", "b": "yes", "c": True, "d": 8080, "e": "2024-01-01"}  # type: ignore[union-attr]


def test_merge_keys_and_explicit_keys_win() -> None:
    doc = parse_document(URI, "x: &d {restart: always, image: a}\nservices:\n  s:\n    <<: *d\n    image: b\n")
    assert doc.root.get("services").get("s").to_python() == {"image": "b", "restart": "always"}  # type: ignore[union-attr]


def test_duplicate_key_points_at_both_places() -> None:
    doc = parse_document(URI, "services:\n  a: {}\n  a: {}\n")
    (problem,) = doc.problems
    assert problem.code == "duplicate-key"
    assert problem.span == Span(2, 2, 2, 3)
    assert problem.related[0][1] == Span(1, 2, 1, 3)


def test_syntax_error_and_tab_indent_are_located() -> None:
    doc = parse_document(URI, "services:\n  web:\n\timage: x\n")
    (problem,) = doc.problems
    assert problem.code == "yaml-syntax" and problem.span.start_line == 2
    assert "tab" in problem.message.lower()


def test_too_large_is_reported_not_parsed() -> None:
    doc = parse_document(URI, "a: b\n" * 1000, max_bytes=100)
    assert doc.root is None and doc.problems[0].code == "too-large"


def test_path_at_finds_key_and_value() -> None:
    doc = parse_document(URI, "services:\n  web:\n    depends_on: [db, cache]\n")
    path = doc.path_at(2, 22)
    assert [k for k, _n in path] == ["services", "web", "depends_on", 1]
    assert path[-1][1].value == "cache"
    on_key = doc.path_at(1, 3)
    assert [k for k, _n in on_key] == ["services", "web"]


def test_pure_python_loader_gives_the_same_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml the pure-Python composer builds the same nodes, spans and values."""
    import yaml

    from dockhand.compose import document

    text = 'x: &d {restart: always}\nservices:\n  s:\n    <<: *d\n    command: "héllo 😀"\n    ports: [22:22]\n'
    fast = parse_document(URI, text)

    class PureLoader(yaml.BaseLoader):
        resolve = document._Loader.resolve  # type: ignore[assignment]

    monkeypatch.setattr(document, "_Loader", PureLoader)
    slow = parse_document(URI, text)
    assert slow.problems == fast.problems == ()
    assert slow.root.to_python() == fast.root.to_python()  # type: ignore[union-attr]
    s_fast, s_slow = fast.root.get("services").get("s"), slow.root.get("services").get("s")  # type: ignore[union-attr]
    assert s_slow.get("command").span == s_fast.get("command").span == Span(4, 13, 4, 23)  # type: ignore[union-attr]
    assert s_slow.get("restart").span == s_fast.get("restart").span  # type: ignore[union-attr]


@pytest.mark.parametrize("second", ["2", "[2]", "{b: 2}"])
def test_an_anchor_defined_twice_is_a_syntax_error_on_the_second(second: str) -> None:
    doc = parse_document(URI, f"a: &x 1\nb: &x {second}\n")
    assert doc.root is None
    (problem,) = doc.problems
    assert problem.code == "yaml-syntax" and problem.span.start_line == 1
    assert "already defined on line 1" in problem.message and "Rename one of the two anchors" in problem.message


def test_a_lone_surrogate_is_reported_where_it_is() -> None:
    doc = parse_document(URI, "services:\n  web:\n    image: a\ud800b\n")
    assert doc.root is None
    (problem,) = doc.problems
    assert problem.code == "yaml-unreadable" and problem.span == Span(2, 12, 2, 13)
    assert "surrogate" in problem.message

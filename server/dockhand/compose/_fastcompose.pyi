"""Types of the C extension built from _fastcompose.c (see that file)."""

from collections.abc import Callable
from typing import Any

class Unsupported(Exception): ...

def configure(
    scalar: type,
    seq: type,
    map: type,
    span: type,
    plain_value: Callable[[str], Any],
    merged_items: Callable[[list[Any]], Any],
    words: dict[str, Any],
    alias_bomb: type[BaseException],
    max_depth: int,
) -> None: ...
def compose(text: str, convert: Callable[[int, int], int] | None) -> Any: ...
def materialize(
    node: Any, interpolate: Callable[[Any, str], str], tagged: Callable[[Any], Any], budget: list[int]
) -> Any: ...

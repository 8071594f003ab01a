"""Log lines stay bounded and a closed transport swallows late sends (both kept an exiting server alive)."""

from __future__ import annotations

import io
import json
import logging
import sys

from dockhand.log import MAX_FIELD_CHARS, JsonFormatter
from dockhand.lsp.server import ClosableWriter


def test_a_huge_traceback_becomes_one_bounded_line_that_keeps_the_innermost_error() -> None:
    try:
        raise ValueError("x" * 200_000 + " innermost")
    except ValueError:
        record = logging.LogRecord("dockhand.t", logging.ERROR, __file__, 1, "m" * 100_000, None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and len(line) < 3 * MAX_FIELD_CHARS
    entry = json.loads(line)
    assert entry["exc"].endswith("innermost") and "chars cut" in entry["exc"]
    assert entry["msg"].startswith("mmm") and "chars cut" in entry["msg"]


def test_writes_after_close_are_dropped_and_a_stream_closed_underneath_is_not_an_error() -> None:
    class Stream:
        def __init__(self) -> None:
            self.buffer = io.BytesIO()

        def write(self, data: bytes) -> None:
            if self.buffer.closed:
                raise ValueError("I/O operation on closed file")
            self.buffer.write(data)

        def close(self) -> None:
            self.buffer.close()

    stream = Stream()
    writer = ClosableWriter(stream)
    writer.write(b"before")
    assert stream.buffer.getvalue() == b"before"
    writer.close()
    writer.write(b"after")  # dropped, no exception
    underneath = ClosableWriter(Stream())
    underneath._inner.close()
    underneath.write(b"late")  # the stream was closed by someone else: marked closed, no exception
    assert underneath.closed

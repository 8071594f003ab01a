"""In-process figures of Dockhand's static engine, to set beside the end-to-end ones: what the model costs alone.

`engine_figures(compose_file, runs, hover_positions)` times, without a server, a project rebuild through the
ProjectIndex (parse with positions + model across files + rules — what didOpen/didChange pay before publishing)
and the hover answer (position lookup + static card). The gap between these and the end-to-end figures is the
server's own overhead: JSON-RPC, other features sharing the event loop, background work on the same cores.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from dockhand.compose.cards import resource_card, static_card
from dockhand.compose.index import ProjectIndex
from dockhand.compose.loader import path_uri
from dockhand.compose.navigation import symbol_at


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 3)


def engine_figures(compose_file: Path, runs: int, hover_positions: list[tuple[int, int]]) -> dict[str, Any]:
    uri = path_uri(compose_file)
    text = compose_file.read_text()
    index = ProjectIndex(environ={})
    rebuilds = []
    for version in range(1, runs + 1):
        # A new version each time, as after an edit: the document is parsed again, nothing is reused.
        edited = text.replace("restart: unless-stopped", "restart: always", version % 2)
        start = time.perf_counter()
        index.change(uri, edited, version)
        index.rebuild(uri)
        rebuilds.append((time.perf_counter() - start) * 1000)
    project = index.for_uri(uri)
    hovers = []
    if project is not None:
        for line, character in hover_positions:
            start = time.perf_counter()
            target = symbol_at(project, uri, line, character)
            if target is not None:
                if target.kind == "service":
                    static_card(project, target.name)
                else:
                    resource_card(project, target.kind, target.name)
            hovers.append((time.perf_counter() - start) * 1000)
    return {
        "rebuild_ms_p50": _percentile(rebuilds, 50),
        "rebuild_ms_max": round(max(rebuilds), 3),
        "hover_ms_p50": _percentile(hovers, 50) if hovers else None,
        "hover_ms_p99": _percentile(hovers, 99) if hovers else None,
    }

"""Load: one project of 100+ real (tiny) containers on this machine; the server's lenses, hovers and diagnostics
are right for every service. Figures (bring-up, time to full state, hover/lens latency, RSS) are printed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from lsprotocol import types

from tests.conftest import ComposeProject
from tests.faults.conftest import BUSYBOX, Figures
from tests.live_server import hover_text, open_document, request, running_server, server_process, wait_for

SERVICES = 104
CRASHED = {"svc013", "svc050", "svc101"}  # exit 7 at once, no restart: each must get exactly one diagnostic


def compose_text(project: str) -> str:
    lines = [f"name: {project}", "services:"]
    for i in range(SERVICES):
        name = f"svc{i:03d}"
        command = "[sh, -c, 'exit 7']" if name in CRASHED else "[sleep, '3600']"
        lines += [f"  {name}:", f"    image: {BUSYBOX}", f"    command: {command}", "    init: true"]
        lines += ["    network_mode: none"]
    return "\n".join(lines) + "\n"


def line_of(index: int) -> int:
    return 2 + 5 * index


@pytest.mark.timeout(900)
async def test_a_hundred_containers_get_right_lenses_hovers_and_diagnostics(
    compose_project: ComposeProject, figures: Figures
) -> None:
    compose_project.write(compose_text(compose_project.name))
    started = time.monotonic()
    compose_project.compose("up", "-d", timeout=600)
    figures.add(f"compose up of {SERVICES} containers", f"{time.monotonic() - started:.1f} s")
    assert len(compose_project.containers()) == SERVICES

    async with running_server(workspace=str(compose_project.directory)) as lsp:
        opened = time.monotonic()
        uri = open_document(lsp, str(compose_project.file))

        async def states() -> dict[str, dict[str, Any]]:
            payload = await request(lsp, "dockhand/services")
            found = next((p for p in payload["projects"] if p["name"] == compose_project.name), {"services": []})
            return {s["name"]: s for s in found["services"]}

        async def complete() -> dict[str, dict[str, Any]] | None:
            found = await states()
            running = [s for s in found.values() if s["state"] == "running"]
            exited = [s for s in found.values() if s["name"] in CRASHED and s["state"] != "running"]
            return found if len(running) == SERVICES - len(CRASHED) and len(exited) == len(CRASHED) else None

        found = None
        for _ in range(300):
            if found := await complete():
                break
            await asyncio.sleep(0.2)
        assert found, "the server never showed every container in its state"
        figures.add(f"didOpen → all {SERVICES} services in dockhand/services", f"{time.monotonic() - opened:.1f} s")

        diagnostics = await wait_for(
            lambda: (
                [d for d in lsp.diagnostics.get(uri, []) if "exited with code 7" in d.message]
                if len([d for d in lsp.diagnostics.get(uri, []) if "exited with code 7" in d.message]) == len(CRASHED)
                else None
            ),
            within=60,
        )
        assert diagnostics, [d.message for d in lsp.diagnostics.get(uri, [])]
        assert sorted(d.range.start.line for d in diagnostics) == sorted(line_of(int(name[3:])) for name in CRASHED)
        assert all(d.severity == types.DiagnosticSeverity.Error for d in diagnostics)

        lens_ms: list[float] = []
        for _ in range(5):
            sent = time.perf_counter()
            lenses = await lsp.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
            lens_ms.append((time.perf_counter() - sent) * 1000)
        first_title = {
            lens.range.start.line: lens.command.title
            for lens in reversed(lenses or [])
            if lens.command and lens.range.start.line >= 2
        }
        for i in range(SERVICES):
            name = f"svc{i:03d}"
            expected = "✖ exited (7)" if name in CRASHED else "● running"
            assert first_title.get(line_of(i)) == expected, (name, first_title.get(line_of(i)))

        hover_ms: list[float] = []
        for i in range(SERVICES):
            sent = time.perf_counter()
            text = (await hover_text(lsp, uri, line_of(i), 3)).lower()
            hover_ms.append((time.perf_counter() - sent) * 1000)
            name = f"svc{i:03d}"
            assert name in text
            assert ("exited" in text and "7" in text) if name in CRASHED else "running" in text, (name, text[:300])
        figures.latencies(f"hover over each of {SERVICES} services", hover_ms)
        figures.latencies(f"code lenses for {SERVICES} services", lens_ms)
        figures.add(f"server RSS with {SERVICES} containers", f"{server_process(lsp).memory_info().rss / 2**20:.1f} MB")

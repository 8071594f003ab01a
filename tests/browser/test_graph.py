"""The dependency-graph view in real VS Code against the running parcel shop (a private copy, up on the real engine):
every service a node, declared and traced edges told apart, an undeclared call and a never-called depends_on
highlighted, a click that goes to the service's line, a restart from the node's menu that first names who depends on
it, the Mermaid and DOT exports, and a node that turns red in place when its container is killed with `docker kill`
(the picture of the graph is taken then)."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from playwright.sync_api import FrameLocator, expect

from tests.browser.test_live_stack import compose_line, traced_order, wait_until_restarted
from tests.browser.workbench import Workbench, wait_until
from tests.docker.conftest import ExamplesStack
from tests.unit.telemetry.otlp_samples import new_span_id, new_trace_id, span_dict, traces_json

SERVICES = ("gateway", "parcels", "tracking", "pricing", "notifier")


def undeclared_call(stack: ExamplesStack) -> None:
    """A trace in which notifier calls pricing — a call compose.yaml does not declare (sent like an exporter would)."""
    trace_id, client, server = new_trace_id(), new_span_id(), new_span_id()
    now = time.time_ns()
    body = traces_json(
        {
            "notifier": [span_dict(trace_id, client, "POST /quotes", now, 4_000_000, kind=3)],
            "pricing": [span_dict(trace_id, server, "POST /quotes", now + 500_000, 3_000_000, parent=client)],
        }
    )
    url = f"http://127.0.0.1:{stack.otlp_port}/v1/traces"
    assert httpx.post(url, content=body, headers={"Content-Type": "application/json"}).status_code == 200


def show_graph(live: Workbench) -> FrameLocator:
    live.command("Dockhand: Show Dependency Graph")
    view = live.webview()
    expect(view.locator("#title")).to_have_text(re.compile(r"Dependency graph · "), timeout=60_000)
    return view


def edge(view: FrameLocator, source: str, target: str) -> Any:
    return view.locator(f"g.edge[data-from='{source}'][data-to='{target}']")


def test_the_services_view_title_opens_the_graph(live: Workbench, shop: ExamplesStack) -> None:
    live.show_dockhand()
    header = live.section("Services").locator(".pane-header")
    header.hover()
    header.locator(".action-label[aria-label='Show Dependency Graph']").click()
    expect(live.page.locator(".tab", has_text="Dependency Graph")).to_be_visible(timeout=15_000)
    expect(live.webview().locator("#title")).to_have_text(f"Dependency graph · {shop.project}", timeout=60_000)


def test_nodes_and_edge_kinds(live: Workbench, shop: ExamplesStack) -> None:
    for _ in range(3):
        traced_order(shop)
    undeclared_call(shop)
    view = show_graph(live)
    for service in SERVICES:
        expect(view.locator(f"g.node[data-name='{service}']")).to_be_visible()
    expect(view.locator("g.node[data-name='gateway']")).to_have_attribute("data-tone", "ok", timeout=60_000)
    # Traced calls reach the view within its refresh (every telemetry change, at most one per 5 s).
    expect(edge(view, "gateway", "parcels")).to_have_attribute("data-verdict", "confirmed", timeout=60_000)
    expect(edge(view, "gateway", "parcels")).to_have_class(re.compile(r"\bdeclared observed\b"))
    expect(edge(view, "gateway", "parcels").locator("text.label")).to_contain_text(re.compile(r"healthy · [\d.]+/s"))
    expect(edge(view, "notifier", "pricing")).to_have_attribute("data-verdict", "undeclared", timeout=60_000)
    expect(edge(view, "notifier", "pricing")).to_have_class(re.compile(r"\bobserved\b"))
    assert "declared" not in (edge(view, "notifier", "pricing").get_attribute("class") or "").split()
    expect(edge(view, "notifier", "pricing").locator("text.label")).to_contain_text("not declared")
    # gateway declares pricing but an order reaches pricing through parcels: never called directly.
    expect(edge(view, "gateway", "pricing")).to_have_attribute("data-verdict", "uncalled")
    expect(edge(view, "tracking", "notifier").locator("text.label")).to_contain_text("started")
    colours = view.locator("g.edge[data-verdict='undeclared'] path.line").evaluate("e => getComputedStyle(e).stroke")
    plain = edge(view, "gateway", "pricing").locator("path.line").evaluate("e => getComputedStyle(e).stroke")
    assert colours != plain, (colours, plain)


def picture(live: Workbench) -> None:
    """artifacts/graph.png, the README's docs/screenshots/graph.png (copied by hand, like the other pictures, so a
    test run never changes a tracked file): the graph alone, wide (side bar and the compose editor out of the way)."""
    live.command("View: Close Primary Side Bar")
    live.command("View: Toggle Maximize Editor Group")
    live.dismiss_popups()
    live.page.wait_for_timeout(800)  # the SVG scales to the wider panel
    live.screenshot("graph")
    live.command("View: Toggle Maximize Editor Group")


def test_the_export_buttons_open_mermaid_and_dot(live: Workbench, shop: ExamplesStack) -> None:
    view = show_graph(live)
    view.locator("button", has_text="Export Mermaid").click()
    mermaid = live.page.locator(".editor-instance .view-lines", has_text="flowchart LR")
    expect(mermaid).to_be_visible(timeout=15_000)
    expect(mermaid).to_contain_text('s_gateway -->|"healthy')
    view = show_graph(live)
    view.locator("button", has_text="Export DOT").click()
    dot = live.page.locator(".editor-instance .view-lines", has_text="rankdir=LR;")
    expect(dot).to_be_visible(timeout=15_000)
    expect(dot).to_contain_text('"gateway" -> "parcels"')


def test_clicking_a_node_goes_to_its_line_in_the_compose_file(live: Workbench, shop: ExamplesStack) -> None:
    view = show_graph(live)
    view.locator("g.node[data-name='pricing']").click()
    pricing_line = compose_line(shop, r"  pricing:")
    expect(live.page.locator(".statusbar-item", has_text=re.compile(rf"Ln {pricing_line}, Col"))).to_be_visible(
        timeout=15_000
    )
    expect(live.page.locator(".tab.active", has_text="compose.yaml")).to_be_visible()


def test_restart_from_the_node_menu_names_the_blast_radius_first(live: Workbench, shop: ExamplesStack) -> None:
    started_before = shop.container("pricing").attrs["State"]["StartedAt"]
    view = show_graph(live)
    view.locator("g.node[data-name='pricing']").click(button="right")
    item = live.page.locator(".monaco-menu .action-item", has_text="Restart (Shows Who Depends on It)")
    expect(item).to_be_visible(timeout=15_000)
    dialog = live.page.locator(".monaco-dialog-box")

    def chosen() -> bool:  # a click while the menu still animates in can be lost: the item stays open, click again
        if item.is_visible():
            item.locator(".action-menu-item").first.click()
        return dialog.is_visible()

    wait_until(chosen, 30, "the restart confirmation", interval=1.5)
    # gateway needs parcels and pricing; parcels needs pricing: both are disturbed by a restart of pricing.
    expect(dialog).to_contain_text("Restart pricing? 2 services depend on it", timeout=15_000)
    expect(dialog).to_contain_text("gateway, parcels")
    assert shop.container("pricing").attrs["State"]["StartedAt"] == started_before  # nothing happened yet
    dialog.locator(".monaco-button", has_text=re.compile(r"^Restart$")).click()
    wait_until_restarted(shop, "pricing", started_before)


def test_a_killed_container_turns_its_node_red_in_place(live: Workbench, shop: ExamplesStack) -> None:
    view = show_graph(live)
    notifier = view.locator("g.node[data-name='notifier']")
    expect(notifier).to_have_attribute("data-tone", "ok", timeout=60_000)
    drawn = notifier.element_handle()
    updates = int(view.locator("body").get_attribute("data-updates") or 0)
    shop.container("notifier").kill()  # SIGKILL, exit code 137: `docker kill`
    try:
        expect(notifier).to_have_attribute("data-tone", "bad", timeout=60_000)
        expect(notifier.locator("text.caption")).to_have_text("exited")
        # The same SVG element was recoloured: no new drawing, no re-created webview.
        assert drawn.evaluate("e => e.isConnected && e.dataset.tone") == "bad"
        assert int(view.locator("body").get_attribute("data-updates") or 0) > updates
        picture(live)
    finally:
        shop.restore()
    expect(notifier).to_have_attribute("data-tone", "ok", timeout=60_000)

"""The parcel-shop example on the real engine: endpoints, logs, OTLP export and every misbehaviour knob."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.docker.conftest import ExamplesStack, OtlpReceiver, eventually, http, run

HEALTHCHECKED = {"gateway", "parcels", "pricing"}
SPRING_CORRELATION = re.compile(r" \[([0-9a-f]{32})-([0-9a-f]{16})\] ")


@pytest.fixture
def stack(examples_stack: ExamplesStack) -> Iterator[ExamplesStack]:
    """The shared stack, restored (knobs off, every service running and healthy) after a test that turns knobs."""
    yield examples_stack
    examples_stack.restore()


def new_traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def timer_samples(url: str, uri: str) -> dict[tuple[str, str], float]:
    """{(sample name, status): value} of http_server_requests_seconds for one templated uri, via the real parser."""
    status, text, headers = http("GET", f"{url}/actuator/prometheus")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("http_server_requests_seconds") and sample.labels.get("uri") == uri:
                if sample.name.endswith("_bucket"):
                    out[(f"{sample.name}[le={sample.labels['le']}]", sample.labels["status"])] = sample.value
                else:
                    out[(sample.name, sample.labels["status"])] = sample.value
    return out


def test_stack_is_up_with_the_healthchecks_it_declares_on_loopback_ports(examples_stack: ExamplesStack) -> None:
    for service, url in examples_stack.urls.items():
        container = examples_stack.container(service)
        assert container.status == "running"
        health = container.attrs["State"].get("Health")
        if service in HEALTHCHECKED:
            assert health["Status"] == "healthy", service
        else:
            assert health is None, f"{service} should have no Docker healthcheck"
        assert url.startswith("http://127.0.0.1:")
    gateway_deps = examples_stack.container("gateway").labels["com.docker.compose.depends_on"]
    assert "parcels:service_healthy" in gateway_deps


def test_gateway_serves_the_shop_through_its_backends(examples_stack: ExamplesStack) -> None:
    gateway = examples_stack.urls["gateway"]
    status, parcel, _ = http("GET", f"{gateway}/api/parcels/1")
    assert status == 200 and parcel["id"] == 1 and [e["status"] for e in parcel["events"]][:1] == ["REGISTERED"]

    status, created, _ = http("POST", f"{gateway}/api/parcels", {"sender": "Ada", "recipient": "Alan", "weight_kg": 2})
    assert status == 201 and created["price_cents"] == 590
    status, parcel, _ = http("GET", f"{gateway}/api/parcels/{created['id']}")
    assert status == 200 and parcel["recipient"] == "Alan" and parcel["events"][0]["status"] == "REGISTERED"

    assert http("GET", f"{gateway}/api/parcels/987654")[0] == 404
    assert http("POST", f"{gateway}/api/quotes", {"weight_kg": 99})[0] == 422
    status, error, _ = http("POST", f"{gateway}/api/parcels", "not an order")
    assert status == 400 and error["message"] == "expected sender, recipient and weight_kg"
    notifier = examples_stack.urls["notifier"]
    eventually(lambda: http("GET", f"{notifier}/actuator/health")[1]["components"]["queue"]["details"]["sent"] >= 1)


def test_actuator_health_reports_components_like_spring_boot(examples_stack: ExamplesStack) -> None:
    status, body, headers = http("GET", f"{examples_stack.urls['parcels']}/actuator/health")
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.spring-boot.actuator.v3+json"
    assert body["status"] == "UP"
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "db": "UP",
        "diskSpace": "UP",
        "ping": "UP",
    }
    assert body["components"]["db"]["details"]["database"] == "SQLite"
    assert body["components"]["diskSpace"]["details"]["free"] > 0
    status, db, _ = http("GET", f"{examples_stack.urls['parcels']}/actuator/health/db")
    assert status == 200 and db["status"] == "UP"
    assert http("GET", f"{examples_stack.urls['parcels']}/actuator/health/nothing")[0] == 404


def test_prometheus_timer_has_spring_labels_with_templated_uris(examples_stack: ExamplesStack) -> None:
    parcels = examples_stack.urls["parcels"]
    before = timer_samples(parcels, "/parcels/{id}")
    for parcel_id in (1, 2, 424242):
        http("GET", f"{parcels}/parcels/{parcel_id}")
    after = timer_samples(parcels, "/parcels/{id}")

    assert (
        after[("http_server_requests_seconds_count", "200")]
        == before.get(("http_server_requests_seconds_count", "200"), 0) + 2
    )
    assert (
        after[("http_server_requests_seconds_count", "404")]
        == before.get(("http_server_requests_seconds_count", "404"), 0) + 1
    )
    assert (
        after[("http_server_requests_seconds_bucket[le=+Inf]", "200")]
        == after[("http_server_requests_seconds_count", "200")]
    )
    assert after[("http_server_requests_seconds_sum", "200")] > 0
    assert after[("http_server_requests_seconds_max", "200")] > 0
    _, text, _ = http("GET", f"{parcels}/actuator/prometheus")
    labels = next(
        s.labels
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "http_server_requests_seconds_count"
        and s.labels["uri"] == "/parcels/{id}"
        and s.labels["status"] == "404"
    )
    assert labels["method"] == "GET" and labels["outcome"] == "CLIENT_ERROR" and labels["exception"] == "none"
    assert not any("424242" in line for line in text.splitlines()), "raw ids must not become label values"


def test_logs_carry_the_trace_id_in_spring_and_json_styles(examples_stack: ExamplesStack) -> None:
    trace_id, traceparent = new_traceparent()
    status, _, _ = http("GET", f"{examples_stack.urls['gateway']}/api/parcels/1", headers={"traceparent": traceparent})
    assert status == 200

    def spring_line() -> str | None:
        return next((ln for ln in examples_stack.logs("gateway").splitlines() if trace_id in ln), None)

    line = eventually(spring_line, what="a gateway log line with the trace id")
    match = SPRING_CORRELATION.search(line)
    assert match and match.group(1) == trace_id, line
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +INFO 1 --- \[gateway\] \[ *[\w-]+\] ", line), line

    def json_entry() -> dict[str, str] | None:
        entries = [json.loads(ln) for ln in examples_stack.logs("tracking").splitlines() if ln.startswith("{")]
        return next((e for e in entries if e.get("trace_id") == trace_id), None)

    entry = eventually(json_entry, what="a tracking JSON log line with the trace id")
    assert re.fullmatch(r"[0-9a-f]{16}", entry["span_id"]) and entry["service"] == "tracking"


def test_spans_reach_an_otlp_receiver_as_one_trace_across_services(
    examples_stack: ExamplesStack, otlp_receiver: OtlpReceiver
) -> None:
    trace_id, traceparent = new_traceparent()
    body = {"sender": "Grace", "recipient": "Ada", "weight_kg": 1}
    status, _, _ = http("POST", f"{examples_stack.urls['gateway']}/api/parcels", body, {"traceparent": traceparent})
    assert status == 201

    wanted = {"gateway", "parcels", "pricing", "tracking", "notifier"}

    def arrived() -> bool:
        spans = otlp_receiver.of_trace(trace_id)
        consumed = any(span["kind"] == 5 for _, span in spans)  # the worker's job span comes last
        return consumed and {s for s, _ in spans} >= wanted

    eventually(arrived, what=f"spans from {wanted}")
    spans = otlp_receiver.of_trace(trace_id)
    by_id = {span["spanId"]: (service, span) for service, span in spans}
    gateway_server = next(span for s, span in spans if s == "gateway" and span["kind"] == 2)
    assert gateway_server["name"] == "POST /api/parcels"
    assert gateway_server["parentSpanId"] == traceparent.split("-")[2]
    parcels_server = next(span for s, span in spans if s == "parcels" and span["name"] == "POST /parcels")
    caller_service, caller = by_id[parcels_server["parentSpanId"]]
    assert (caller_service, caller["kind"]) == ("gateway", 3), "parcels' span is the child of the gateway's client span"
    consumer = next(span for s, span in spans if s == "notifier" and span["kind"] == 5)
    assert by_id[consumer["parentSpanId"]][0] == "notifier"
    assert all(int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"]) > 0 for _, s in spans)


def test_no_collector_listening_breaks_nothing(examples_stack: ExamplesStack) -> None:
    gateway = examples_stack.urls["gateway"]
    for _ in range(3):
        assert http("GET", f"{gateway}/api/parcels/2")[0] == 200
    eventually(lambda: "Failed to export" in examples_stack.logs("gateway"), what="the exporter's one-line warning")
    assert http("GET", f"{gateway}/api/parcels/2")[0] == 200
    assert examples_stack.container("gateway").status == "running"


def test_health_knob_flips_actuator_to_503_and_docker_health_to_unhealthy(stack: ExamplesStack) -> None:
    parcels = stack.urls["parcels"]
    assert http("POST", f"{parcels}/admin/chaos", {"health": {"db": "DOWN"}})[0] == 200
    status, body, _ = http("GET", f"{parcels}/actuator/health")
    assert status == 503 and body["status"] == "DOWN" and body["components"]["db"]["status"] == "DOWN"
    assert body["components"]["diskSpace"]["status"] == "UP"
    assert http("GET", f"{parcels}/actuator/health/db")[0] == 503
    eventually(
        lambda: stack.docker_health("parcels") == "unhealthy", timeout=30, what="Docker to mark parcels unhealthy"
    )
    probe = stack.container("parcels").attrs["State"]["Health"]["Log"][-1]
    assert probe["ExitCode"] == 1 and "HTTP 503" in probe["Output"]

    tracking = stack.urls["tracking"]  # no Docker healthcheck: only the endpoint tells
    assert http("POST", f"{tracking}/admin/chaos", {"health": {"ping": "OUT_OF_SERVICE"}})[0] == 200
    status, body, _ = http("GET", f"{tracking}/actuator/health")
    assert status == 503 and body["status"] == "OUT_OF_SERVICE"

    assert http("DELETE", f"{parcels}/admin/chaos")[0] == 200
    assert http("GET", f"{parcels}/actuator/health")[0] == 200
    eventually(lambda: stack.docker_health("parcels") == "healthy", timeout=30, what="parcels healthy again")


def test_latency_knob_slows_one_route_and_shows_in_its_timer(stack: ExamplesStack) -> None:
    pricing = stack.urls["pricing"]
    assert http("POST", f"{pricing}/admin/chaos", {"latency_ms": {"/quotes": 400}})[0] == 200
    started = time.monotonic()
    status, _, _ = http("POST", f"{stack.urls['gateway']}/api/quotes", {"weight_kg": 1})
    waited = time.monotonic() - started
    assert status == 200 and waited >= 0.4  # a lower bound the knob guarantees, not a speed target
    assert timer_samples(pricing, "/quotes")[("http_server_requests_seconds_max", "200")] >= 0.4
    assert http("GET", f"{pricing}/admin/chaos")[1]["latency_ms"] == {"/quotes": 400.0}


def test_error_rate_knob_fails_a_share_of_requests(stack: ExamplesStack) -> None:
    pricing, gateway = stack.urls["pricing"], stack.urls["gateway"]
    assert http("POST", f"{pricing}/admin/chaos", {"error_rate": {"*": 1}})[0] == 200
    status, body, _ = http("POST", f"{gateway}/api/quotes", {"weight_kg": 1})
    assert status == 500 and body["error"] == "Internal Server Error"
    assert http("GET", f"{pricing}/actuator/health")[0] == 200, "operational endpoints stay out of '*'"
    assert timer_samples(pricing, "/quotes")[("http_server_requests_seconds_count", "500")] >= 1

    assert http("POST", f"{pricing}/admin/chaos", {"error_rate": {"*": 0.5}})[0] == 200
    statuses = {http("POST", f"{pricing}/quotes", {"weight_kg": 1})[0] for _ in range(40)}
    assert statuses == {200, 500}  # both appear: the chance that 40 draws at 0.5 all agree is 2 in 10^12

    status, body, _ = http("POST", f"{pricing}/admin/chaos", {"error_rate": {"*": 7}})
    assert status == 400 and "between 0 and 1" in body["message"]
    assert http("GET", f"{pricing}/admin/chaos")[1]["error_rate"] == {"*": 0.5}, "a bad knob changes nothing"


def test_exit_knob_leaves_the_chosen_code_in_docker_inspect(stack: ExamplesStack) -> None:
    assert http("POST", f"{stack.urls['notifier']}/admin/exit", {"code": 42})[0] == 202
    container = stack.container("notifier")

    def exited() -> bool:
        container.reload()
        return bool(container.status == "exited")

    eventually(exited, what="notifier to exit")
    assert container.attrs["State"]["ExitCode"] == 42


def test_exit_knob_from_the_environment(examples_stack: ExamplesStack) -> None:
    argv = examples_stack.compose_argv(
        "run", "--rm", "--no-deps", "-e", "CHAOS_EXIT_CODE=7", "-e", "CHAOS_EXIT_AFTER_S=0.3", "pricing"
    )
    done = run(argv, examples_stack.env)
    assert done.returncode == 7, done.stderr
    assert "Exiting with code 7 on purpose" in done.stdout


def api_requests_seen_by(url: str) -> float:
    _, text, _ = http("GET", f"{url}/actuator/prometheus")
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "http_server_requests_seconds_count" and s.labels["uri"].startswith("/api/")
    )


def test_load_generator_drives_traffic_through_the_gateway(examples_stack: ExamplesStack) -> None:
    gateway = examples_stack.urls["gateway"]
    before = api_requests_seen_by(gateway)
    argv = examples_stack.compose_argv(
        "run", "--rm", "--no-deps", "loadgen", "python3", "loadgen.py", "--rate", "20", "--duration", "3"
    )
    done = run(argv, examples_stack.env)
    assert done.returncode == 0, done.stderr
    match = re.search(r"done, (\d+) requests; last: (.*)", done.stdout)
    assert match and int(match.group(1)) >= 30, done.stdout
    assert "'200'" in match.group(2) and "'201'" in match.group(2), match.group(2)
    assert api_requests_seen_by(gateway) - before == int(match.group(1)), "every generated request reached the gateway"

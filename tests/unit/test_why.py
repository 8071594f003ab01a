"""Why a service is broken, the pure words (runtime/why.py) and their findings (runtime/diagnose.py)."""

from __future__ import annotations

from dockhand.runtime.diagnose import diagnose
from dockhand.runtime.state import (
    ContainerInfo,
    DockerHealth,
    EngineStatus,
    HealthcheckSpec,
    PortBinding,
    Probe,
    ProjectInfo,
    ServiceDecl,
    StateStore,
)
from dockhand.runtime.why import (
    drift,
    drift_text,
    env_drift,
    explain_exit,
    format_probe_output,
    normalize_image,
    port_clash,
    probe_command,
    starting_text,
)

NOW = 1_800_000_000.0
PORT_ERROR = (
    "driver failed programming external connectivity on endpoint x (abc): Error starting userland proxy: "
    "listen tcp4 127.0.0.1:38123: bind: address already in use"
)


def container(**fields: object) -> ContainerInfo:
    base: dict[str, object] = {"id": "c1", "name": "shop-web-1", "project": "shop", "service": "web"}
    base.update(fields)
    return ContainerInfo(**base)  # type: ignore[arg-type]


def snapshot(*containers: ContainerInfo, services: tuple[ServiceDecl, ...] = ()):  # type: ignore[no-untyped-def]
    store = StateStore()
    store.replace_all(containers, EngineStatus("up", "unix:///var/run/docker.sock", "20.10"))
    store.set_projects([ProjectInfo("shop", "/w", ("/w/compose.yaml",), services=services, resolved=True)])
    return store.snapshot


def test_exit_codes_are_explained() -> None:
    assert explain_exit(137, oom_killed=True).startswith("killed by the kernel: out of memory (OOM)")
    sigkill = explain_exit(137)
    assert "SIGKILL" in sigkill and "not out of memory" in sigkill and "kill -9" in sigkill
    assert "SIGTERM" in explain_exit(143)
    assert "last log lines" in explain_exit(1)
    assert "not found" in explain_exit(127) and "cannot be executed" in explain_exit(126)
    assert "segmentation fault" in explain_exit(139)
    assert explain_exit(3) == "the application exited with code 3"
    assert explain_exit(0) == "finished successfully"


def test_probe_command_reads_like_a_shell_line() -> None:
    assert (
        probe_command(["CMD-SHELL", "curl -fs http://localhost/ || exit 1"]) == "curl -fs http://localhost/ || exit 1"
    )
    assert probe_command(["CMD", "wget", "-q", "http://a b"]) == 'wget -q "http://a b"'
    assert probe_command([]) == ""


def test_probe_output_is_summarised_not_raw_json() -> None:
    body = (
        'HTTP 503: {"status":"DOWN","components":{"db":{"status":"DOWN","details":{"error":"Connection refused"}},'
        '"ping":{"status":"UP"}}}'
    )
    assert format_probe_output(body) == "HTTP 503: status DOWN · db DOWN (Connection refused)"
    assert format_probe_output("line one\n\n   line   two\n") == "line one ⏎ line two"
    long = format_probe_output("x" * 500)
    assert len(long) == 160 and long.endswith("…")
    assert format_probe_output("{not json") == "{not json"


def test_env_drift_compares_only_what_the_file_sets() -> None:
    file_env = {"MODE": "fast", "NEW": "1", "UNSET": None, "SAME": "x"}
    running = ["PATH=/usr/bin", "MODE=slow", "SAME=x", "OLD=gone", "UNSET=whatever"]
    # PATH is the image's; UNSET is left to the shell in the file (no value), so not compared.
    assert env_drift(file_env, running, frozenset({"PATH"})) == (("MODE",), ("NEW",), ("OLD",))


def test_drift_names_keys_and_image_never_values() -> None:
    c = container(env=("MODE=slow", "TOKEN=s3cret", "PATH=/bin"), image_env_keys=frozenset({"PATH"}), image="app:1")
    decl = ServiceDecl("web", environment={"MODE": "fast", "TOKEN": "n3w"}, image="app:2")
    found = drift(c, decl)
    text = drift_text(found)
    assert text == "environment `MODE`, `TOKEN` changed; image `app:1` → `app:2`"
    assert "s3cret" not in text and "n3w" not in text
    assert not drift(container(image="busybox"), ServiceDecl("web", image="docker.io/library/busybox:latest"))
    assert normalize_image("registry:5000/app") == "registry:5000/app:latest"


def test_a_taken_port_names_the_holder_or_the_container() -> None:
    failed = container(state="created", error=PORT_ERROR, port_holders=("python3 (pid 42: python3 -m listener)",))
    text = port_clash(failed, snapshot(failed))
    assert text == (
        "host port 127.0.0.1:38123 is taken by python3 (pid 42: python3 -m listener) — stop it or change `ports:`"
    )
    other = container(
        id="c9",
        name="other-api-1",
        project="other",
        state="running",
        ports=(PortBinding(80, "tcp", "127.0.0.1", 38123),),
    )
    assert "published by container other-api-1" in (port_clash(failed, snapshot(failed, other)) or "")
    unknown = container(state="created", error=PORT_ERROR)
    assert "a process outside Docker" in (port_clash(unknown, snapshot(unknown)) or "")
    assert port_clash(container(state="created", error="something else"), snapshot()) is None


def test_a_port_clash_and_a_held_back_start_are_findings_on_the_right_line() -> None:
    failed = container(state="created", error=PORT_ERROR)
    db = container(
        id="c2",
        name="shop-db-1",
        service="db",
        state="running",
        started_at=NOW - 300,
        health=DockerHealth("unhealthy", 5, "pg_isready: no response", 2),
        healthcheck=HealthcheckSpec(("CMD", "pg_isready"), 1.0, 0.0, 3),
    )
    api = container(id="c3", name="shop-api-1", service="api", state="created")
    decls = (ServiceDecl("api", depends_on=("db",), conditions={"db": "service_healthy"}), ServiceDecl("db"))
    found = {f.code: f for f in diagnose(snapshot(failed, db, api, services=decls), "shop", ["web", "db", "api"], NOW)}
    assert found["port-taken"].service == "web" and found["port-taken"].severity == "error"
    held = found["held-back"]
    assert held.service == "api" and held.severity == "error"
    assert held.message == (
        "`api` is not started: it waits for `db` to be healthy (depends_on: service_healthy), but `db` is unhealthy: "
        "probe `pg_isready` failed 5 times in a row (exit 2): pg_isready: no response"
    )


def test_within_start_period_a_failing_probe_is_starting_not_unhealthy() -> None:
    spec = HealthcheckSpec(("CMD-SHELL", "exit 1"), 1.0, 60.0, 3)
    health = DockerHealth("starting", 0, "nope", 1, (Probe(NOW - 1, 1, "nope"),))
    warming = container(state="running", started_at=NOW - 20, healthcheck=spec, health=health)
    assert (
        starting_text(warming, NOW) == "starting: within its start_period (60 s, 40 s left); probes fail so far: nope"
    )
    found = diagnose(snapshot(warming), "shop", ["web"], NOW)
    assert [(f.code, f.severity) for f in found] == [("starting", "info")]


def test_a_killed_container_says_sigkill_and_an_oom_says_memory() -> None:
    killed = container(state="exited", exit_code=137, finished_at=NOW, last_log_lines=("about to be killed",))
    [finding] = diagnose(snapshot(killed), "shop", ["web"], NOW)
    assert "exited with code 137" in finding.message and "SIGKILL, not out of memory" in finding.message
    assert finding.message.endswith("Last log lines: about to be killed")
    oom = container(state="exited", exit_code=137, oom_killed=True, finished_at=NOW)
    [finding] = diagnose(snapshot(oom), "shop", ["web"], NOW)
    assert finding.code == "exited-oom" and "out of memory (OOM)" in finding.message


def test_drift_finding_says_restart_is_not_enough() -> None:
    c = container(state="running", started_at=NOW - 99, config_hash="old", env=("MODE=slow",))
    decl = ServiceDecl("web", config_hash="new", environment={"MODE": "fast"})
    [finding] = diagnose(snapshot(c, services=(decl,)), "shop", ["web"], NOW)
    assert finding.code == "out-of-date"
    assert "(environment `MODE` changed)" in finding.message and "`restart` keeps the old container" in finding.message
    # Compose's hash agrees with the container: no drift is guessed from the keys.
    same = ServiceDecl("web", config_hash="old", environment={"MODE": "fast"})
    assert diagnose(snapshot(c, services=(same,)), "shop", ["web"], NOW) == []


def test_the_hover_card_shows_the_probe_its_last_outputs_and_the_resources() -> None:
    from dockhand.runtime.card import live_card

    probes = tuple(Probe(NOW - i, 1, 'HTTP 503: {"status":"DOWN"}') for i in (3, 2, 1))
    sick = container(
        state="running",
        started_at=NOW - 99,
        health=DockerHealth("unhealthy", 3, 'HTTP 503: {"status":"DOWN"}', 1, probes),
        healthcheck=HealthcheckSpec(("CMD", "python3", "/app/healthcheck.py"), 5.0, 0.0, 3),
    )
    card = live_card(snapshot(sick), "shop", "web", now=NOW, resources="CPU 1.0 % · memory 1.0 MiB / 8.0 MiB")
    assert (
        "- Docker health: **unhealthy** · probe `python3 /app/healthcheck.py` (every 5 s, failed 3 times in a row)"
        in card
    )
    assert card.count(" exit 1: `HTTP 503: status DOWN`") == 3 and '{"status"' not in card
    assert "- CPU 1.0 % · memory 1.0 MiB / 8.0 MiB" in card
    held = container(state="created", error=PORT_ERROR, port_holders=("nc (pid 7: nc -l 38123)",))
    assert "- ⚠ `web` could not start: host port 127.0.0.1:38123 is taken by nc (pid 7: nc -l 38123)" in live_card(
        snapshot(held), "shop", "web", now=NOW
    )


def test_the_services_answer_says_what_holds_a_service_that_never_started() -> None:
    from dockhand.runtime.overview import services_payload

    failed = container(state="created", error=PORT_ERROR, port_holders=("nc (pid 7: nc -l 38123)",))
    answer = services_payload(snapshot(failed, services=(ServiceDecl("web"),)), now=NOW)
    [web] = answer["projects"][0]["services"]
    assert web["lastError"].startswith("host port 127.0.0.1:38123 is taken by nc (pid 7")

"""The live stack's pure parts: inspect → ContainerInfo, URLs, names, argv, health words, findings, cards, store."""

from __future__ import annotations

import time
from pathlib import Path

from dockhand.errors import DiagnosticError
from dockhand.runtime.card import live_card
from dockhand.runtime.compose_cli import ComposeCli
from dockhand.runtime.diagnose import diagnose
from dockhand.runtime.discovery import (
    env_files,
    find_project_dirs,
    guess_project,
    match_project,
    normalize_project_name,
    projects_from_labels,
    resolve,
    service_extensions,
)
from dockhand.runtime.health import parse_actuator, resolve_target, service_health
from dockhand.runtime.inspect import container_from_inspect
from dockhand.runtime.lifecycle import compose_argv
from dockhand.runtime.state import (
    ActuatorHealth,
    Change,
    ContainerInfo,
    DockerHealth,
    EngineStatus,
    PortBinding,
    Probe,
    ProjectInfo,
    ServiceDecl,
    Snapshot,
    StateStore,
)
from dockhand.runtime.summary import headline, summarize
from dockhand.runtime.urls import published_urls

NOW = 1_800_000_000.0


def inspect(**state: object) -> dict[str, object]:
    return {
        "Id": "abc123",
        "Name": "/shop-web-1",
        "RestartCount": 2,
        "Config": {
            "Image": "shop/web:1",
            "Labels": {
                "com.docker.compose.project": "shop",
                "com.docker.compose.service": "web",
                "com.docker.compose.container-number": "1",
                "com.docker.compose.oneoff": "False",
                "com.docker.compose.project.config_files": "/w/compose.yaml,/w/compose.override.yaml",
                "com.docker.compose.project.working_dir": "/w",
                "com.docker.compose.config-hash": "h1",
            },
        },
        "State": {
            "Status": "running",
            "ExitCode": 0,
            "OOMKilled": False,
            "StartedAt": "2026-11-28T08:12:48.299929775Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": {
                "Status": "unhealthy",
                "FailingStreak": 3,
                "Log": [{"ExitCode": 1, "Output": "curl: (7) Failed to connect\n"}],
            },
            **state,
        },
        "NetworkSettings": {
            "Ports": {
                "8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}, {"HostIp": "::", "HostPort": "32768"}],
                "5353/udp": [{"HostIp": "0.0.0.0", "HostPort": "5353"}],
                "9000/tcp": None,
            }
        },
    }


def container(**fields: object) -> ContainerInfo:
    base: dict[str, object] = {"id": "c1", "name": "shop-web-1", "project": "shop", "service": "web"}
    base.update(fields)
    return ContainerInfo(**base)  # type: ignore[arg-type]


def snapshot(*containers: ContainerInfo, **extra: object) -> Snapshot:
    store = StateStore()
    store.replace_all(containers, EngineStatus("up", "unix:///var/run/docker.sock", "20.10"))
    if "projects" in extra:
        store.set_projects(extra["projects"])  # type: ignore[arg-type]
    return store.snapshot


def test_inspect_becomes_a_container_with_labels_health_ports_and_times() -> None:
    info = container_from_inspect(inspect())
    assert (info.project, info.service, info.number, info.oneoff) == ("shop", "web", 1, False)
    assert info.config_files == ("/w/compose.yaml", "/w/compose.override.yaml")
    assert (info.working_dir, info.config_hash, info.image, info.restart_count) == ("/w", "h1", "shop/web:1", 2)
    probe = Probe(None, 1, "curl: (7) Failed to connect")
    assert info.health == DockerHealth("unhealthy", 3, "curl: (7) Failed to connect", 1, (probe,))
    assert info.started_at is not None and time.gmtime(info.started_at)[3:6] == (8, 12, 48)
    assert info.finished_at is None and info.exit_code is None
    assert PortBinding(8080, "tcp", "0.0.0.0", 32768) in info.ports
    assert all(p.container_port != 9000 for p in info.ports)


def test_exit_oom_and_stop_are_told_apart() -> None:
    crashed = container_from_inspect(inspect(Status="exited", ExitCode=137, OOMKilled=True))
    assert (crashed.exit_code, crashed.oom_killed, crashed.health, crashed.stopped) == (137, True, None, False)
    stopped = container_from_inspect(inspect(Status="exited", ExitCode=143))
    assert stopped.stopped  # seen at listing, SIGTERM's code: stopped on purpose
    killed_after_stop = container_from_inspect(inspect(Status="exited", ExitCode=137), stopped=True)
    assert killed_after_stop.stopped


def test_the_restart_policy_says_whether_the_engine_brings_a_container_back() -> None:
    def policy(name: str) -> str:
        return container_from_inspect({**inspect(), "HostConfig": {"RestartPolicy": {"Name": name}}}).restart_policy

    assert (policy("always"), policy("on-failure"), policy("no"), policy("")) == ("always", "on-failure", "", "")
    assert container_from_inspect(inspect()).restart_policy == ""


def test_restarts_are_remembered_across_inspects() -> None:
    first = container_from_inspect(inspect(StartedAt="2026-11-28T08:00:00Z"))
    second = container_from_inspect(inspect(StartedAt="2026-11-28T08:00:10Z"), first)
    third = container_from_inspect(inspect(StartedAt="2026-11-28T08:00:20Z"), second)
    assert len(third.recent_restarts) == 3
    later = container_from_inspect(inspect(StartedAt="2026-11-28T09:00:00Z"), third)
    assert len(later.recent_restarts) == 1  # the old ones fell out of the window


def test_published_urls_from_real_bindings() -> None:
    ports = [
        PortBinding(8080, "tcp", "0.0.0.0", 32768),
        PortBinding(8080, "tcp", "::", 32768),  # the IPv6 twin of the same binding
        PortBinding(5353, "udp", "0.0.0.0", 5353),
        PortBinding(9000, "tcp", "127.0.0.1", 9000),
        PortBinding(9001, "tcp", "127.0.0.1", 9001),  # a range is one binding per port
        PortBinding(443, "tcp", "10.0.0.5", 8443),
        PortBinding(7000, "tcp", "::1", 7000),
    ]
    urls = [u.url for u in published_urls(ports, "unix:///var/run/docker.sock")]
    assert urls == [
        "https://10.0.0.5:8443",
        "http://[::1]:7000",
        "http://localhost:32768",
        "http://127.0.0.1:9000",
        "http://127.0.0.1:9001",
    ]
    remote = [u.url for u in published_urls(ports[:1], "tcp://build-box.example:2376")]
    assert remote == ["http://build-box.example:32768"]
    assert [u.url for u in published_urls(ports[3:4], "ssh://me@build-box")] == ["http://build-box:9000"]


def test_project_names_follow_compose(tmp_path: Path) -> None:
    assert normalize_project_name("My App.v2") == "myappv2"
    assert normalize_project_name("__x-Y") == "x-y"
    folder = tmp_path / "Parcel Shop"
    (folder / "deep" / "node_modules" / "x").mkdir(parents=True)
    (folder / "compose.yaml").write_text("services: {a: {image: x}}\n")
    (folder / "compose.override.yaml").write_text("services: {a: {ports: ['80']}}\n")
    (folder / "deep" / "node_modules" / "x" / "compose.yaml").write_text("services: {}\n")
    (folder / "named").mkdir()
    (folder / "named" / "docker-compose.yml").write_text("name: Custom_Name\nservices: {}\n")
    project = guess_project(folder)
    assert project is not None and project.name == "parcelshop"
    assert project.config_files == (str(folder / "compose.yaml"), str(folder / "compose.override.yaml"))
    named = guess_project(folder / "named")
    assert named is not None and named.name == "custom_name"
    assert find_project_dirs([tmp_path], depth=4) == [folder, folder / "named"]
    assert find_project_dirs([tmp_path], depth=0) == []


def test_containers_match_projects_by_name_files_or_folder() -> None:
    shop = ProjectInfo("shop", "/w", ("/w/compose.yaml",))
    projects = {"shop": shop}
    assert match_project(container(project="shop"), projects) is shop
    assert match_project(container(project="other", config_files=("/w/compose.yaml",)), projects) is shop
    assert match_project(container(project="other", working_dir="/w"), projects) is shop
    assert match_project(container(project="other", working_dir="/elsewhere"), projects) is None
    found = projects_from_labels(
        [container(project="far", working_dir="/far", config_files=("/far/c.yaml",))], ["shop"]
    )
    assert found == [ProjectInfo("far", "/far", ("/far/c.yaml",), source="labels")]


def test_resolve_reads_compose_config_hashes_and_extensions(tmp_path: Path) -> None:
    main, override = tmp_path / "compose.yaml", tmp_path / "compose.override.yaml"
    main.write_text("services:\n  web:\n    image: x\n    x-dockhand: {actuator: 9090}\n  db: {image: y}\n")
    override.write_text("services:\n  web:\n    x-dockhand: {actuator: 8080}\n")
    extensions = service_extensions([str(main), str(override)])
    assert extensions == {"web": {"actuator": 8080}}  # later files override, as Compose merges them
    config = '{"name": "shop", "services": {"web": {"depends_on": {"db": {}}}, "db": {}}}'
    project = resolve(ProjectInfo("guess", "/w", ("/w/compose.yaml",)), config, "web aaa\ndb bbb\n", extensions)
    assert project.name == "shop" and project.resolved
    web = project.service("web")
    assert web is not None and web.config_hash == "aaa" and web.depends_on == ("db",)
    assert web.x_dockhand == {"actuator": 8080}


def test_resolve_keeps_conditions_image_environment_and_drops_env_file_hashes(tmp_path: Path) -> None:
    main = tmp_path / "compose.yaml"
    main.write_text("services:\n  api:\n    image: a\n    env_file: [api.env, {path: more.env}]\n  db: {image: d}\n")
    files = env_files([str(main)])
    assert files == {"api": (str(tmp_path / "api.env"), str(tmp_path / "more.env"))}
    config = (
        '{"services": {"api": {"image": "a", "environment": {"A": "1", "B": null},'
        ' "depends_on": {"db": {"condition": "service_healthy"}}}, "db": {"image": "d"}}}'
    )
    project = resolve(ProjectInfo("shop", "/w", (str(main),)), config, "api aaa\ndb bbb\n", {}, files)
    api, db = project.service("api"), project.service("db")
    assert api is not None and db is not None
    assert api.conditions == {"db": "service_healthy"} and api.image == "a"
    assert api.environment == {"A": "1", "B": None}
    # `config --hash` and `up` disagree for env_file services: no hash, drift is compared key by key instead.
    assert (api.config_hash, db.config_hash) == ("", "bbb")


def test_lifecycle_argv_is_real_compose_with_files_directory_and_profiles() -> None:
    cli = ComposeCli(("/usr/bin/docker", "compose"), "2.40.3")
    project = ProjectInfo("shop", "/w", ("/w/compose.yaml", "/w/compose.override.yaml"))
    base = ["/usr/bin/docker", "compose", "-p", "shop", "-f", "/w/compose.yaml", "-f", "/w/compose.override.yaml"]
    base += ["--project-directory", "/w"]
    assert compose_argv(cli, project, "restart", "web") == [*base, "restart", "web"]
    assert compose_argv(cli, project, "recreate", "web") == [
        *base,
        "up",
        "--detach",
        "--force-recreate",
        "--no-deps",
        "web",
    ]
    assert compose_argv(cli, project, "up", profiles=["load"]) == [*base, "--profile", "load", "up", "--detach"]
    logs = [*base, "logs", "--no-color", "--timestamps", "--tail", "200", "web"]
    assert compose_argv(cli, project, "logs", "web") == logs
    labels_only = ProjectInfo("far", "/gone", ())
    assert compose_argv(cli, labels_only, "stop") == ["/usr/bin/docker", "compose", "-p", "far", "stop"]
    try:
        compose_argv(cli, project, "rm -rf /")
    except DiagnosticError as err:
        assert "Unknown lifecycle action" in err.message
    else:
        raise AssertionError("an unknown action must be refused")


def test_actuator_targets_and_answers() -> None:
    web = container(ports=(PortBinding(8080, "tcp", "127.0.0.1", 40000), PortBinding(9090, "tcp", "127.0.0.1", 40001)))
    found = resolve_target(web, None, "unix:///x")
    assert found is not None and found.bases == ("http://127.0.0.1:40000", "http://127.0.0.1:40001")
    assert not found.configured
    by_port = resolve_target(web, 9090, "unix:///x")
    assert by_port is not None and by_port.bases == ("http://127.0.0.1:40001",) and by_port.configured
    by_url = resolve_target(web, "http://mgmt:8081/actuator/health", "unix:///x")
    assert by_url is not None and by_url.bases == ("http://mgmt:8081",)
    assert resolve_target(web, False, "unix:///x") is None
    labelled = container(labels={"dockhand.actuator": "off"}, ports=web.ports)
    assert resolve_target(labelled, None, "unix:///x") is None
    body = {"status": "DOWN", "components": {"db": {"status": "DOWN"}, "ping": {"status": "UP"}}}
    parsed = parse_actuator(body, "u", 1.0)
    assert parsed is not None and parsed.components == (("db", "DOWN"), ("ping", "UP"))
    assert parse_actuator({"hello": "world"}, "u", 1.0) is None
    assert parse_actuator("<html>", "u", 1.0) is None


def test_starting_is_not_unhealthy() -> None:
    young = container(state="running", started_at=NOW - 5)
    old = container(state="running", started_at=NOW - 600)
    refused = ActuatorHealth("u", last_error="connection refused")
    assert service_health(young, refused, NOW) == "starting"
    assert service_health(old, refused, NOW) == "unhealthy"
    assert service_health(young, ActuatorHealth("u", "UP"), NOW) == "healthy"
    assert service_health(old, ActuatorHealth("u", "DOWN"), NOW) == "unhealthy"
    assert service_health(container(state="running", health=DockerHealth("starting")), None, NOW) == "starting"
    assert service_health(container(state="running"), None, NOW) == "running"


def test_findings_name_the_problem_on_the_right_service() -> None:
    oom = container(
        id="c1",
        service="web",
        state="exited",
        exit_code=137,
        oom_killed=True,
        finished_at=NOW - 60,
        last_log_lines=("starting", "java.lang.OutOfMemoryError"),
    )
    sick = container(
        id="c2",
        service="api",
        state="running",
        started_at=NOW - 999,
        health=DockerHealth("unhealthy", 4, "curl: (7) connection refused"),
    )
    stale = container(id="c3", service="db", state="running", started_at=NOW - 999, config_hash="old")
    looping = container(id="c4", service="jobs", state="restarting", exit_code=1, restart_count=7)
    orphan = container(id="c5", service="legacy", name="shop-legacy-1", state="running", started_at=NOW - 999)
    stopped = container(id="c6", service="cache", state="exited", exit_code=143, stopped=True, finished_at=NOW)
    projects = [ProjectInfo("shop", "/w", (), services=(ServiceDecl("db", "new"),), resolved=True)]
    snap = snapshot(oom, sick, stale, looping, orphan, stopped, projects=projects)
    found = {(f.service, f.code): f for f in diagnose(snap, "shop", ["web", "api", "db", "jobs", "cache", "idle"], NOW)}
    assert "exited with code 137 at" in found[("web", "exited-oom")].message
    assert "killed by the kernel: out of memory (OOM)" in found[("web", "exited-oom")].message
    assert "java.lang.OutOfMemoryError" in found[("web", "exited-oom")].message
    assert "failed 4 times in a row: curl: (7) connection refused" in found[("api", "unhealthy")].message
    assert "recreate to apply" in found[("db", "out-of-date")].message
    assert "restarting in a loop (7 restarts; last exit code 1)" in found[("jobs", "restart-loop")].message
    assert found[("cache", "stopped")].severity == "info"
    assert found[("idle", "not-running")].severity == "info"
    assert "shop-legacy-1" in found[(None, "orphans")].message
    assert len(found) == 7


def test_engine_down_is_one_finding_and_a_stale_lens() -> None:
    store = StateStore()
    store.replace_all([container(state="running", started_at=NOW)], EngineStatus("up"))
    error = DiagnosticError("Docker Engine is not reachable at unix:///x", "Start it", "docker-unreachable")
    store.set_engine(EngineStatus("down", "unix:///x", "", error, NOW))
    findings = diagnose(store.snapshot, "shop", ["web", "api"], NOW)
    assert [(f.service, f.code) for f in findings] == [(None, "docker-unreachable")]
    assert headline(summarize(store.snapshot, "shop", "web", NOW)) == "? engine down"
    assert "not reachable" in live_card(store.snapshot, "shop", "web", now=NOW)


def test_live_card_tells_state_health_urls_and_replicas() -> None:
    one = container(
        id="c1",
        number=1,
        state="running",
        started_at=NOW - 125,
        image="shop/web:1",
        ports=(PortBinding(8080, "tcp", "127.0.0.1", 40000),),
        health=DockerHealth("healthy"),
    )
    two = container(id="c2", number=2, state="exited", exit_code=1, finished_at=NOW - 5)
    store = StateStore()
    store.replace_all([one, two], EngineStatus("up", "unix:///x"))
    store.put_actuator(
        "c1",
        ActuatorHealth(
            "http://127.0.0.1:40000/actuator/health",
            "UP",
            (("db", "UP"),),
            NOW - 2,
            links=(("Actuator", "http://127.0.0.1:40000/actuator"),),
        ),
    )
    card = live_card(store.snapshot, "shop", "web", now=NOW)
    assert "Up 2 min" in card
    assert "Docker health: **healthy**" in card
    assert "Actuator: **UP** — db UP (checked 2 s ago)" in card
    assert "[:40000](http://127.0.0.1:40000)" in card and "[Actuator](http://127.0.0.1:40000/actuator)" in card
    assert "Replicas: 1/2 running" in card and "`shop/web:1`" in card
    assert headline(summarize(store.snapshot, "shop", "web", NOW)) == "● healthy 1/2"


def test_store_publishes_only_real_changes() -> None:
    store = StateStore()
    seen: list[Change] = []
    store.subscribe(lambda snap, change: seen.append(change))
    web = container(state="running")
    store.put_container(web, cause_ns=42)
    store.put_container(web)  # the same again: no change
    before = store.snapshot
    store.put_actuator("c1", ActuatorHealth("u", "UP", checked_at=1.0))
    store.put_actuator("c1", ActuatorHealth("u", "UP", checked_at=2.0))  # only the time moved
    assert [c.projects for c in seen] == [frozenset({"shop"}), frozenset({"shop"})]
    assert seen[0].cause_ns == 42
    assert before.actuator == {}  # old snapshots never change under a reader
    store.remove_container("c1")
    assert store.snapshot.containers == {} and store.snapshot.actuator == {}

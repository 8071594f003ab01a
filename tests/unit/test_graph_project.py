"""Which project the graph shows: the named one, else the workspace's running one — under the name its containers
run with when they were started with `docker compose -p other` (as the live hover resolves it)."""

from __future__ import annotations

from types import MappingProxyType

from dockhand.lsp.features.graph import choose_project, running_name
from dockhand.runtime.state import ContainerInfo, ProjectInfo, Snapshot

FILES = ("/src/shop/compose.yaml",)


def snapshot(*containers: ContainerInfo, extra: tuple[ProjectInfo, ...] = ()) -> Snapshot:
    projects = {
        p.name: p for p in (ProjectInfo("shop", "/src/shop", FILES), ProjectInfo("blog", "/src/blog", ()), *extra)
    }
    return Snapshot(containers=MappingProxyType({c.id: c for c in containers}), projects=MappingProxyType(projects))


def container(project: str, started_at: float, state: str = "running") -> ContainerInfo:
    return ContainerInfo(
        f"{project}-{started_at}", "c", project, "web", config_files=FILES, state=state, started_at=started_at
    )


def test_a_named_project_wins_and_an_unknown_name_is_none() -> None:
    snap = snapshot()
    assert choose_project(snap, "blog").name == "blog"  # type: ignore[union-attr]
    assert choose_project(snap, "nope") is None


def test_without_containers_the_first_workspace_project_by_name() -> None:
    assert choose_project(snapshot(), None).name == "blog"  # type: ignore[union-attr]


def test_the_running_project_is_preferred_under_the_name_its_containers_run_with() -> None:
    started_as = ProjectInfo("test-123", "/src/shop", FILES, source="labels")
    snap = snapshot(container("test-123", 100.0), extra=(started_as,))
    assert running_name(snap, snap.projects["shop"]) == "test-123"
    assert choose_project(snap, None) is started_as
    # Containers under the file's own name win over another name's, even older ones.
    both = snapshot(container("test-123", 200.0), container("shop", 100.0), extra=(started_as,))
    assert running_name(both, both.projects["shop"]) == "shop"
    assert choose_project(both, None).name == "shop"  # type: ignore[union-attr]


def test_a_named_workspace_project_is_shown_as_the_project_its_containers_run_under() -> None:
    """The panel names the project of its last answer: if that was read before the containers were seen (the files'
    static project), the next answer is the running project's, not a graph of services "not running"."""
    started_as = ProjectInfo("test-123", "/src/shop", FILES, source="labels")
    snap = snapshot(container("test-123", 100.0), extra=(started_as,))
    assert choose_project(snap, "shop") is started_as
    assert choose_project(snap, "test-123") is started_as
    assert choose_project(snapshot(), "shop").name == "shop"  # type: ignore[union-attr]  # nothing runs: the files'

"""What the Compose Specification allows where: keys per mapping, value kinds and enumerations (hand-written).

A `Shape` lists the keys a mapping may have and, per key, the YAML kinds its value may take ("str", "int",
"num", "bool", "map", "seq", "null") plus an optional nested Shape or per-item Shape. Only what Dockhand checks
statically is here; `docker compose config` in the background stays the authority on the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Key:
    kinds: frozenset[str]
    shape: Shape | None = None
    item: Shape | None = None
    enum: tuple[str, ...] = ()
    values_shape: Shape | None = None
    simple_kinds: frozenset[str] = field(init=False)
    """Accepted kinds that leave nothing more to check (no enumeration, no nested shape)."""

    def __post_init__(self) -> None:
        nested = {"map": self.shape is None and self.values_shape is None, "seq": self.item is None}
        simple = {kind for kind in self.kinds if nested.get(kind, not (kind == "str" and self.enum))}
        object.__setattr__(self, "simple_kinds", frozenset(simple))


@dataclass(frozen=True)
class Shape:
    name: str
    keys: dict[str, Key] = field(default_factory=dict)
    open: bool = False


def k(
    kinds: str,
    shape: Shape | None = None,
    *,
    item: Shape | None = None,
    enum: tuple[str, ...] = (),
    values: Shape | None = None,
) -> Key:
    return Key(frozenset(kinds.split("|")), shape, item, enum, values)


def words(text: str) -> list[str]:
    return text.split()


SCALAR = "str|int|num|bool"
STR = "str|int|num"  # numbers are fine where Compose expects a string (it stringifies them)
NUM = "int|num|str"
BOOL = "bool|str"
LIST_OR_MAP = "seq|map"
STR_OR_LIST = "str|seq"

RESTART = ("no", "always", "on-failure", "unless-stopped")
CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
PULL_POLICIES = ("always", "never", "if_not_present", "build", "missing", "daily", "weekly", "refresh")

HEALTHCHECK = Shape(
    "healthcheck",
    {
        "disable": k(BOOL),
        "interval": k(STR),
        "retries": k(NUM),
        "test": k(STR_OR_LIST),
        "timeout": k(STR),
        "start_period": k(STR),
        "start_interval": k(STR),
    },
)
DEPENDS_ON_ENTRY = Shape(
    "depends_on entry",
    {"condition": k("str", enum=CONDITIONS), "restart": k(BOOL), "required": k(BOOL)},
)
BUILD = Shape(
    "build",
    {
        key: k("str|seq|map|bool|int|null")
        for key in words(
            "context dockerfile dockerfile_inline entitlements args ssh labels cache_from cache_to no_cache "
            "additional_contexts network provenance sbom pull target shm_size extra_hosts isolation privileged "
            "secrets tags ulimits platforms"
        )
    },
)
SERVICE_NETWORK = Shape(
    "service network",
    {
        key: k("str|seq|map|int|null")
        for key in words(
            "aliases ipv4_address ipv6_address link_local_ips mac_address driver_opts priority gw_priority interface_name"
        )
    },
)
PORT_LONG = Shape("port", {key: k(SCALAR) for key in words("name target published host_ip protocol app_protocol mode")})
VOLUME_LONG = Shape(
    "volume mount",
    {
        "type": k("str", enum=("bind", "volume", "tmpfs", "cluster", "npipe", "image")),
        "source": k(STR),
        "target": k(STR),
        "read_only": k(BOOL),
        "consistency": k(STR),
        "bind": k("map"),
        "volume": k("map"),
        "tmpfs": k("map"),
        "image": k("map"),
    },
)
EXTENDS = Shape("extends", {"service": k("str"), "file": k("str")})

_ANY = "str|int|num|bool|seq|map|null"
_SERVICE_ANY_KEYS = words(
    "annotations attach blkio_config cap_add cap_drop cgroup cgroup_parent configs cpu_count cpu_percent cpu_shares "
    "cpu_quota cpu_period cpu_rt_period cpu_rt_runtime cpus cpuset credential_spec deploy develop device_cgroup_rules "
    "devices dns dns_opt dns_search domainname entrypoint env_file expose external_links extra_hosts gpus group_add "
    "hostname init ipc isolation label_file links logging mac_address mem_limit mem_reservation mem_swappiness "
    "memswap_limit models network_mode oom_kill_disable oom_score_adj pid pids_limit platform post_start pre_stop "
    "privileged provider pull_refresh_after read_only runtime scale secrets security_opt shm_size stdin_open "
    "stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits use_api_socket user userns_mode uts "
    "volumes_from working_dir"
)

SERVICE = Shape(
    "service",
    {
        **{key: k(_ANY) for key in _SERVICE_ANY_KEYS},
        "build": k("str|map", BUILD),
        "command": k("str|seq|null"),
        "container_name": k(STR),
        "depends_on": k(LIST_OR_MAP, values=DEPENDS_ON_ENTRY),
        "environment": k(LIST_OR_MAP),
        "extends": k("str|map", EXTENDS),
        "healthcheck": k("map", HEALTHCHECK),
        "image": k(STR),
        "labels": k(LIST_OR_MAP),
        "networks": k(LIST_OR_MAP, values=SERVICE_NETWORK),
        "ports": k("seq", item=PORT_LONG),
        "profiles": k("seq"),
        "pull_policy": k("str", enum=PULL_POLICIES),
        "restart": k("str", enum=RESTART),
        "volumes": k("seq", item=VOLUME_LONG),
        "secrets": k("seq"),
        "configs": k("seq"),
    },
)

NETWORK = Shape(
    "network",
    {
        key: k(_ANY)
        for key in words("name driver driver_opts ipam external internal enable_ipv4 enable_ipv6 attachable labels")
    },
)
VOLUME = Shape("volume", {key: k(_ANY) for key in words("name driver driver_opts external labels")})
SECRET = Shape(
    "secret",
    {key: k(_ANY) for key in words("name environment file external labels driver driver_opts template_driver")},
)
CONFIG = Shape(
    "config", {key: k(_ANY) for key in words("name content environment file external labels template_driver")}
)
INCLUDE_ENTRY = Shape(
    "include entry", {"path": k(STR_OR_LIST), "project_directory": k(STR), "env_file": k(STR_OR_LIST)}
)

TOP = Shape(
    "compose file",
    {
        "version": k(SCALAR),
        "name": k(STR),
        "include": k("seq"),
        "services": k("map|null", values=SERVICE),
        "networks": k("map|null", values=NETWORK),
        "volumes": k("map|null", values=VOLUME),
        "secrets": k("map|null", values=SECRET),
        "configs": k("map|null", values=CONFIG),
        "models": k("map|null"),
    },
)

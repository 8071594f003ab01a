"""The parcel-shop example (examples/parcel-shop/compose.yaml) as a Swarm stack file for the rig: the same services,
images, commands, environment and healthchecks, with what a Swarm on this machine needs instead of Compose's form.

- ports are published in `host` mode on each task's node: the routing mesh (`ingress`) needs IPVS, which this
  kernel lacks, so mesh ports would never answer here;
- two replicas of each service, one per node, so every service has a task on the worker;
- no `extra_hosts: host-gateway` and no span export (nothing listens for spans on the rig's nodes);
- no load generator (`docker stack deploy` does not know profiles and would start it);
- `depends_on` as a plain list (the stack loader's schema has no conditions; Swarm ignores the order anyway) and
  no `name:` (the stack is named on the command line; the editor takes the project name from the folder).
Used by tests/swarm/test_example_stack.py and bench/remote_bench.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "parcel-shop" / "compose.yaml"
SERVICES = ("gateway", "parcels", "tracking", "pricing", "notifier")


def swarm_variant(first_port: int) -> tuple[str, dict[str, int]]:
    """(the stack file's text, service → its published port), ports from `first_port` on in service order."""
    loaded: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())  # anchors and `<<` merged by the loader
    project = {key: value for key, value in loaded.items() if key != "name" and not key.startswith("x-")}
    services = project["services"]
    services.pop("loadgen")
    published: dict[str, int] = {}
    for offset, name in enumerate(SERVICES):
        service = services[name]
        service.pop("extra_hosts", None)
        if isinstance(service.get("depends_on"), dict):
            service["depends_on"] = list(service["depends_on"])
        service["environment"]["OTEL_TRACES_EXPORTER"] = "none"
        published[name] = first_port + offset
        service["ports"] = [{"target": 8080, "published": published[name], "protocol": "tcp", "mode": "host"}]
        service["deploy"] = {
            "replicas": 2,
            "placement": {"max_replicas_per_node": 1},
            "restart_policy": {"condition": "any", "delay": "1s"},
        }
    return yaml.dump(project, Dumper=_Plain, sort_keys=False), published


class _Plain(yaml.SafeDumper):
    """Writes shared values out in full (no `&id001` anchors): a stack file a person can read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def service_lines(text: str) -> dict[str, int]:
    """The 0-based line of each service's key in the stack file."""
    lines = text.splitlines()
    return {name: lines.index(f"  {name}:") for name in SERVICES}

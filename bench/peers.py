"""Install the peer language servers (pinned, from npm) into bench/.peers/ — idempotent, git-ignored."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

PEERS_DIR = Path(__file__).resolve().parent / ".peers"
PINNED = {"yaml-language-server": "2.0.0", "@microsoft/compose-language-service": "1.0.0"}


def installed_version(package: str) -> str | None:
    manifest = PEERS_DIR / "node_modules" / package / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_peers() -> dict[str, list[str]]:
    """Install missing or mismatched peers; return each peer's argv (after `node`)."""
    missing = [f"{name}@{version}" for name, version in PINNED.items() if installed_version(name) != version]
    if missing:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed to install the peer servers (apt-get install -y nodejs npm)")
        PEERS_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(PEERS_DIR), "--no-audit", "--no-fund", "--save-exact", *missing],
            check=True,
        )
    node_modules = PEERS_DIR / "node_modules"
    return {
        "yaml-language-server": [str(node_modules / "yaml-language-server" / "bin" / "yaml-language-server")],
        "compose-language-service": [
            str(node_modules / "@microsoft" / "compose-language-service" / "bin" / "docker-compose-langserver")
        ],
    }


if __name__ == "__main__":
    for peer, argv in ensure_peers().items():
        print(peer, *argv)

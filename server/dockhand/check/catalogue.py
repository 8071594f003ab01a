"""Every rule id `dockhand check` can report, with the one-line summary and help text that SARIF and `--list-rules`
show. The ids are the `Problem` codes of dockhand.compose (stable: CI configurations name them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    help: str
    severity: str = "error"
    group: str = "compose"


def _rule(rule_id: str, group: str, summary: str, help_text: str, severity: str = "error") -> Rule:
    return Rule(rule_id, summary, help_text, severity, group)


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        _rule("yaml-syntax", "parse", "YAML syntax error", "The file is not valid YAML; fix it at the position shown."),
        _rule(
            "yaml-unreadable",
            "parse",
            "Not readable text",
            "Remove binary or control characters: a compose file is UTF-8 text.",
        ),
        _rule(
            "too-large",
            "parse",
            "File too large to analyse",
            "Split the file with `include:` or raise DOCKHAND_MAX_DOCUMENT_BYTES.",
        ),
        _rule("too-deep", "parse", "Nesting too deep", "Flatten the document; compose files need only a few levels."),
        _rule(
            "duplicate-key",
            "parse",
            "Duplicate mapping key",
            "A key appears twice in one mapping; Compose rejects the file. Keep one.",
        ),
        _rule(
            "merge-not-mapping",
            "parse",
            "Merge key needs a mapping",
            "`<<:` takes an alias of a mapping (or a list of them).",
        ),
        _rule(
            "alias-bomb",
            "parse",
            "Aliases expand explosively",
            'Aliases expand to millions of nodes (a "billion laughs" document); use fewer nested aliases.',
        ),
        _rule(
            "not-a-mapping",
            "loader",
            "File is not a mapping",
            "A compose file must be a mapping with keys such as `services:`.",
        ),
        _rule(
            "missing-file",
            "loader",
            "Compose file missing",
            "A file named by `include`, `extends.file` or the file set does not exist; fix the path.",
        ),
        _rule(
            "include-shape", "loader", "Malformed include", "`include:` takes a list of paths or `{path: …}` entries."
        ),
        _rule("include-depth", "loader", "Includes nest too deeply", "Flatten the chain of `include:`s."),
        _rule(
            "include-conflict",
            "loader",
            "Included service redefined",
            "A service defined by an included project may not be redefined; use an override file or `extends`.",
        ),
        _rule("extends-cycle", "loader", "extends loops", "Services extend each other in a loop; break it."),
        _rule(
            "unset-variable",
            "interpolation",
            "Variable not set",
            "The variable is neither in the environment nor in `.env`; Compose substitutes an empty string. Set it or give a default `${VAR:-default}`.",
            "warning",
        ),
        _rule(
            "required-variable",
            "interpolation",
            "Required variable not set",
            "`${VAR:?message}` or `${VAR?message}` needs the variable; set it in the environment or `.env`.",
        ),
        _rule(
            "bad-template",
            "interpolation",
            "Malformed variable reference",
            "Fix the `${…}` syntax, or write `$$` for a literal dollar sign.",
        ),
        _rule(
            "bad-project-name",
            "loader",
            "Invalid project name",
            "Project names use lowercase letters, digits, `-` and `_`, starting with a letter or digit.",
        ),
        _rule(
            "unknown-key",
            "structure",
            "Unknown key",
            "Compose rejects keys the specification does not define; fix the spelling or prefix extension fields with `x-`.",
        ),
        _rule(
            "wrong-type",
            "structure",
            "Wrong value type",
            "The value has the wrong kind (e.g. a string where a list or mapping is expected).",
        ),
        _rule(
            "bad-value", "structure", "Value not allowed", "The value is not one of those Compose accepts for this key."
        ),
        _rule(
            "undefined-service",
            "references",
            "Undefined service",
            "A reference (depends_on, links, extends, network_mode, volumes_from) names a service that does not exist.",
        ),
        _rule(
            "undefined-network",
            "references",
            "Undefined network",
            "Define the network under top-level `networks:` or fix the name.",
        ),
        _rule(
            "undefined-volume",
            "references",
            "Undefined volume",
            "Define the named volume under top-level `volumes:`, fix the name, or use a path (`./dir`) for a bind mount.",
        ),
        _rule(
            "undefined-secret",
            "references",
            "Undefined secret",
            "Define the secret under top-level `secrets:` or fix the name.",
        ),
        _rule(
            "undefined-config",
            "references",
            "Undefined config",
            "Define the config under top-level `configs:` or fix the name.",
        ),
        _rule(
            "dependency-cycle",
            "graph",
            "Dependency cycle",
            "Services depend on each other in a loop; Compose cannot start them. Remove one dependency.",
        ),
        _rule(
            "port-clash",
            "runtime",
            "Host port published twice",
            "Two containers that can run together publish the same host port; Compose accepts the file, but the "
            "second container fails to start.",
            "warning",
        ),
        _rule(
            "duplicate-container-name",
            "runtime",
            "Duplicate container_name",
            "Container names must be unique across the project.",
        ),
        _rule(
            "healthcheck-missing",
            "health",
            "Waits for health without a healthcheck",
            "`condition: service_healthy` needs a healthcheck on the dependency (here or in its image).",
            "warning",
        ),
        _rule(
            "missing-path",
            "files",
            "Path does not exist",
            "A required env_file is an error (Compose rejects the file); a missing build context or Dockerfile is a warning (the build fails later).",
        ),
        _rule(
            "no-image-or-build",
            "service",
            "Neither image nor build",
            "Compose cannot create a service without `image:` or `build:`; add one.",
        ),
        _rule(
            "platform-not-built",
            "service",
            "platform not in build.platforms",
            "When `build.platforms` is set it must include the service's `platform`.",
        ),
        _rule(
            "bad-volume-spec",
            "service",
            "Malformed volume spec",
            "A short volume spec is `SOURCE:TARGET[:MODE]` without empty sections.",
        ),
        _rule(
            "bad-container-name",
            "service",
            "Invalid container_name",
            "A container name needs two or more letters, digits, `_`, `.` or `-`, starting with a letter or digit.",
        ),
        _rule(
            "bad-duration",
            "values",
            "Malformed duration",
            "Durations are a number with a unit: ns, us, ms, s, m, h, d or w (e.g. `1m30s`).",
        ),
        _rule(
            "bad-size",
            "values",
            "Malformed byte size",
            "Sizes are a non-negative number with an optional unit: b, k, m, g, t or p (e.g. `512m`).",
        ),
        _rule("bad-port", "values", "Port number out of range", "Port numbers go from 0 to 65535."),
        _rule(
            "compose-config",
            "compose",
            "Rejected by docker compose config",
            "Compose's own verdict (`docker compose config`) on the saved files; fix what it reports.",
        ),
        *(
            _rule(code, "live", summary, help_text + " Found by `--live` on the running containers.", severity)
            for code, severity, summary, help_text in (
                ("not-running", "info", "Declared but not running", "The service has no running container."),
                ("exited", "error", "Container exited with an error", "The container exited with a non-zero code."),
                ("exited-oom", "error", "Container killed: out of memory", "Raise the memory limit or fix the leak."),
                ("exited-ok", "info", "Container finished", "The container exited with code 0."),
                ("stopped", "info", "Container stopped", "The container was stopped."),
                ("restart-loop", "error", "Restarting in a loop", "The container keeps crashing and restarting."),
                (
                    "unhealthy",
                    "error",
                    "Container unhealthy",
                    "Its healthcheck fails; the message has the probe output.",
                ),
                (
                    "actuator-down",
                    "error",
                    "Actuator health not UP",
                    "Spring Boot Actuator reports a failing component.",
                ),
                ("actuator-unreachable", "warning", "Actuator does not answer", "The health endpoint does not answer."),
                ("out-of-date", "warning", "Container older than the file", "Recreate it to apply the changes."),
                ("orphans", "warning", "Orphan containers", "`docker compose up --remove-orphans` removes them."),
            )
        ),
    )
}


def rule_for(rule_id: str) -> Rule:
    """The catalogue entry; an id the catalogue lacks (a newer rule) still gets a usable entry."""
    return RULES.get(rule_id) or Rule(rule_id, rule_id.replace("-", " ").capitalize(), "See the message.")

"""Dockhand's custom LSP surface in one place: requests, notifications and commands the extension uses.

Every payload is plain JSON (camelCase keys). Shapes are documented next to each name; the feature modules
that serve them say `Serves: <NAME>` in their docstring.
"""

from __future__ import annotations

# --- Requests (client → server) -------------------------------------------------------------------------
SERVICES = "dockhand/services"
"""params: {} → {engine: {state: "up"|"down"|"unknown", version?, error?: {message, remediation}},
projects: [{name, workingDir, configFiles: [uri], services: [{name, state, health, exitCode?, startedAt?,
restarts, image, replicas, urls: [{label, url}], dependsOn: [name], uri?, range?, lastError?, resources?: {cpuPercent
(of one core, null until two samples), memUsed, memLimit, netRx, netTx, blkRead, blkWrite (bytes, summed over
replicas)}}]}]}"""

TRACES = "dockhand/traces"
"""params: {service?, operation?, minDurationMs?, limit?} → {traces: [{traceId, rootService,
rootOperation, startTimeUnixNano, durationMs, spanCount, error, services: [name]}]}"""

TRACE = "dockhand/trace"
"""params: {traceId} → {traceId, spans: [{spanId, parentSpanId?, service, name, kind, startTimeUnixNano,
durationMs, status: "ok"|"error"|"unset", attributes: {k: v}}]} (null when unknown). kind: "server"|"client"|
"internal"|"producer"|"consumer"|"unspecified"; startTimeUnixNano is a decimal string (int64 does not fit JSON)."""

LATENCY = "dockhand/latency"
"""params: {windowS?, service?} → {rows: [{service, operation, p50Ms, p95Ms, p99Ms, count, errorRate,
source: "spans"|"prometheus", sources: [source], metricsCount?, meanMs?, maxMs?}]}. One row per operation:
span rows (server/consumer spans, quantiles ±1%) where spans measured it — `sources` ["spans", "prometheus"] and
`metricsCount` (requests Prometheus counted) when the service's histograms have it too — else Prometheus rows
(http_server_requests_seconds histograms, increase over the window or since start). Requests no route matched
(Spring's NOT_FOUND, UNKNOWN, REDIRECTION) are not operations and have no row."""

TRACE_LOGS = "dockhand/traceLogs"
"""params: {traceId} → {lines: [{service, container, timestamp, line, traceId, spanId?}]} in time order;
timestamp: Unix ns as a decimal string; container "" for records that came over OTLP /v1/logs."""

LOG_TRACE = "dockhand/logTrace"
"""params: {container, line} → {traceId?, spanId?}: the trace a log line belongs to"""

GRAPH = "dockhand/graph"
"""params: {project?, windowS? (300)} → {project: name|null, projects: [name], windowS, nodes: [{name, state,
health, tone, external, traced, dependents: [name], exitCode?, uri?, range?, lastError?}], edges: [{from, to,
declared, observed, verdict, label, kind?, condition?, calls, errors, callsPerS, errorRate, p95Ms?}]}.
One project (the named one, else the workspace's first with running containers): its services with their live
state/health (as in SERVICES), declared runtime dependencies (`kind`: depends_on, links, volumes_from,
network_mode…; `condition` of a depends_on) and calls seen in traces over the window (a span whose parent is another
service's; p95 of the callee's spans). `dependents`: every service that needs this one, transitively — the blast
radius of a restart. `verdict`: "confirmed" (declared and called), "undeclared" (called, not declared),
"uncalled" (declared, both ends sent spans, never called), "declared" (no traces to judge by), "external" (an end
is not a compose service: `external` nodes). `tone` ("ok"|"warn"|"bad"|"off"|"external") and `label` ("healthy ·
2/s · 1% err · p95 12 ms") are how a client should colour and caption them (the exports use the same)."""

GRAPH_EXPORT = "dockhand/graphExport"
"""params: {project?, windowS?, format: "mermaid"|"dot"} → {project, format, text} (the GRAPH answer as a Mermaid
flowchart or a Graphviz digraph), or {error: {message, remediation}} for an unknown format."""

# --- Notifications (server → client) --------------------------------------------------------------------
STATE_CHANGED = "dockhand/stateChanged"
"""{projects: [name]}: container state or health changed; re-request SERVICES."""

RESOURCES_CHANGED = "dockhand/resourcesChanged"
"""{}: a round of resource samples finished (every DOCKHAND_STATS_INTERVAL_S); re-request SERVICES for the figures."""

TELEMETRY_CHANGED = "dockhand/telemetryChanged"
"""{spans: int, services: [name]}: new telemetry arrived (throttled to at most one a second)."""

ENGINE_STATUS = "dockhand/engineStatus"
"""{state: "up"|"down", error?: {message, remediation}}: the Docker Engine came or went."""

# --- Commands (workspace/executeCommand) ----------------------------------------------------------------
# Arguments: one object {project: str, service?: str, uri?: str}. Refused unless the workspace is trusted.
CMD_UP = "dockhand.up"
CMD_DOWN = "dockhand.down"
CMD_START = "dockhand.start"
CMD_STOP = "dockhand.stop"
CMD_RESTART = "dockhand.restart"
CMD_RECREATE = "dockhand.recreate"
CMD_PULL = "dockhand.pull"
CMD_BUILD = "dockhand.build"
CMD_LOGS = "dockhand.logs"
CMD_OPEN = "dockhand.open"
"""dockhand.open: {url} — the client opens the URL (the server only names it)."""

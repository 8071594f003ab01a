// Pure presentation helpers shared by the trees and the status bar (no VS Code import: unit-tested in node).
import type { LatencyRow, ProjectInfo, ServiceInfo, ServicesResult, Span, TraceFilter, TraceSummary } from './protocol';

export interface Icon { id: string; color?: string }

const UNHEALTHY = new Set(['unhealthy']);
const STOPPED = new Set(['exited', 'dead', 'removing', 'created', 'missing', 'not created', '']);

/** A service counts as healthy when it runs and its health check (if any) passes. */
export function isHealthy(s: ServiceInfo): boolean {
  return s.state === 'running' && ['healthy', 'running', 'none', ''].includes(s.health ?? '');
}

/** Declared in a compose file but without any container (never up, or down). */
function isAbsent(s: ServiceInfo): boolean {
  return ['not running', 'unknown', 'missing', ''].includes(s.state);
}

/** `:8080` per published URL, each port once (a service's app and Actuator URLs often share one). */
export function urlPorts(s: ServiceInfo): string[] {
  const ports = s.urls.map((u) => {
    try {
      const parsed = new URL(u.url);
      return parsed.port ? `:${parsed.port}` : parsed.host;
    } catch {
      return u.label || u.url;
    }
  });
  return [...new Set(ports)];
}

/** e.g. `healthy · :8080`, `exited (137)`, `running`. */
export function serviceDescription(s: ServiceInfo): string {
  let word = s.health && s.health !== 'none' && s.state === 'running' ? s.health : s.state || 'unknown';
  if (s.state === 'not running' && s.health === 'not running') word = 'not running';
  if (s.state === 'exited' && s.exitCode !== undefined) word = `exited (${s.exitCode})`;
  if (s.replicas > 1) word += ` ×${s.replicas}`;
  return [word, ...urlPorts(s)].join(' · ');
}

export function serviceIcon(s: ServiceInfo): Icon {
  if (s.state === 'running' && UNHEALTHY.has(s.health)) return { id: 'error', color: 'testing.iconFailed' };
  if (s.state === 'running' && s.health === 'starting') return { id: 'loading~spin', color: 'charts.yellow' };
  if (s.state === 'running' && s.health === 'healthy') return { id: 'pass-filled', color: 'testing.iconPassed' };
  if (isHealthy(s)) return { id: 'circle-filled', color: 'charts.green' }; // running, nothing checks it
  if (s.state === 'restarting') return { id: 'sync~spin', color: 'charts.yellow' };
  if (s.state === 'paused') return { id: 'debug-pause', color: 'charts.yellow' };
  if (s.state === 'exited' && s.exitCode) return { id: 'error', color: 'testing.iconFailed' };
  if (STOPPED.has(s.state)) return { id: 'circle-outline' };
  return { id: 'circle-filled' };
}

/** A folder path or file URI as a comparable path with a trailing slash. */
function folderKey(pathOrUri: string): string {
  const path = pathOrUri.startsWith('file://') ? decodeURIComponent(new URL(pathOrUri).pathname) : pathOrUri;
  return path.endsWith('/') ? path : `${path}/`;
}

/** The workspace's own projects first (and flagged, so the tree expands them), then the engine's others by name. */
export function orderProjects(projects: ProjectInfo[], workspaceFolders: string[]): { project: ProjectInfo; local: boolean }[] {
  const folders = workspaceFolders.map(folderKey);
  const isLocal = (p: ProjectInfo): boolean =>
    [p.workingDir, ...p.configFiles].some((where) => where && folders.some((f) => folderKey(where).startsWith(f)));
  return projects
    .map((project) => ({ project, local: isLocal(project) }))
    .sort((a, b) => Number(b.local) - Number(a.local) || a.project.name.localeCompare(b.project.name));
}

export interface HealthCount { healthy: number; total: number }

/**
 * Health of "the stack": the running projects of this workspace, or every running project when the workspace
 * runs none. A project with no container at all is not running, so it is not counted as unhealthy.
 */
export function healthCount(result: ServicesResult, workspaceFolders: string[] = []): HealthCount {
  const running = orderProjects(result.projects, workspaceFolders).filter((p) => p.project.services.some((s) => !isAbsent(s)));
  const chosen = running.some((p) => p.local) ? running.filter((p) => p.local) : running;
  const all = chosen.flatMap((p) => p.project.services);
  return { healthy: all.filter(isHealthy).length, total: all.length };
}

/** Status bar text and whether it signals a problem. */
export function statusSummary(result: ServicesResult | undefined, workspaceFolders: string[] = []): { text: string; problem: boolean } {
  if (!result) return { text: '$(sync~spin) Dockhand', problem: false };
  if (result.engine.state === 'down') return { text: '$(error) Docker down', problem: true };
  const { healthy, total } = healthCount(result, workspaceFolders);
  if (total === 0) return { text: '$(circle-outline) not running', problem: false };
  const problem = healthy < total;
  return { text: `${problem ? '$(warning)' : '$(pass)'} ${healthy}/${total} healthy`, problem };
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)}%`;
}

export function traceLabel(t: TraceSummary): string {
  return `${t.rootService}: ${t.rootOperation}`;
}

export function traceDescription(t: TraceSummary): string {
  return `${formatMs(t.durationMs)} · ${t.spanCount} span${t.spanCount === 1 ? '' : 's'}${t.error ? ' · error' : ''}`;
}

export function latencyDescription(r: LatencyRow): string {
  return `p50 ${formatMs(r.p50Ms)} · p95 ${formatMs(r.p95Ms)} · p99 ${formatMs(r.p99Ms)} · ${r.count}× · ${formatPercent(r.errorRate)} err`;
}

export type LatencySort = 'p95' | 'errors';

/** Services ordered by their worst row; operations inside a service ordered the same way. */
export function groupLatency(rows: LatencyRow[], by: LatencySort): [string, LatencyRow[]][] {
  const key = (r: LatencyRow): number => (by === 'p95' ? r.p95Ms : r.errorRate);
  const groups = new Map<string, LatencyRow[]>();
  for (const row of rows) groups.set(row.service, [...(groups.get(row.service) ?? []), row]);
  const sorted = [...groups.entries()].map(([s, rs]): [string, LatencyRow[]] => [s, [...rs].sort((a, b) => key(b) - key(a))]);
  const worst = (group: [string, LatencyRow[]]): number => (group[1][0] ? key(group[1][0]) : 0);
  return sorted.sort((a, b) => worst(b) - worst(a) || a[0].localeCompare(b[0]));
}

export interface SpanNode { span: Span; children: SpanNode[] }

/** Parent/child tree of a trace's spans; spans whose parent is missing become roots. Ordered by start. */
export function spanTree(spans: Span[]): SpanNode[] {
  const nodes = new Map(spans.map((s) => [s.spanId, { span: s, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId ? nodes.get(node.span.parentSpanId) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode): number => compareNano(a.span.startTimeUnixNano, b.span.startTimeUnixNano);
  const sortDeep = (list: SpanNode[]): SpanNode[] => list.sort(byStart).map((n) => ({ ...n, children: sortDeep(n.children) }));
  return sortDeep(roots);
}

/** Nanosecond timestamps exceed 2^53: compare them as BigInt whichever way they arrive. */
export function nano(t: number | string): bigint {
  return typeof t === 'string' ? BigInt(t) : BigInt(Math.round(t));
}

export function compareNano(a: number | string, b: number | string): number {
  const d = nano(a) - nano(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function describeFilter(f: TraceFilter): string {
  const parts: string[] = [];
  if (f.service) parts.push(`service:${f.service}`);
  if (f.operation) parts.push(`op:${f.operation.includes(' ') ? JSON.stringify(f.operation) : f.operation}`);
  if (f.minDurationMs !== undefined) parts.push(`min:${f.minDurationMs}ms`);
  return parts.join(' ');
}

/** A log line's time as `HH:MM:SS.mmm` (UTC); servers send nanoseconds since the epoch or an ISO string. */
export function formatLogTime(timestamp: string | number): string {
  const text = String(timestamp);
  if (/^\d{12,}$/.test(text)) return new Date(Number(nano(text) / 1_000_000n)).toISOString().slice(11, 23);
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? text : new Date(parsed).toISOString().slice(11, 23);
}

// Pure helpers for traces, spans, latency rows and log lines (no VS Code import: unit-tested in node).
import { formatMs, formatPercent } from './format';
import type { LatencyRow, Span, TraceFilter, TraceSummary } from './protocol';

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

/** Management endpoints (health, metrics, chaos switches): shown, but after a service's business operations. */
export function isHousekeeping(operation: string): boolean {
  const path = operation.slice(operation.indexOf(' ') + 1);
  return path.startsWith('/actuator') || path.startsWith('/admin');
}

/** Services ordered by their worst business row; operations inside a service ordered the same way, management
 *  ones (/actuator, /admin) last so a slow metrics scrape never sits above the requests people care about. */
export function groupLatency(rows: LatencyRow[], by: LatencySort): [string, LatencyRow[]][] {
  const key = (r: LatencyRow): number => (by === 'p95' ? r.p95Ms : r.errorRate);
  const groups = new Map<string, LatencyRow[]>();
  for (const row of rows) groups.set(row.service, [...(groups.get(row.service) ?? []), row]);
  const order = (a: LatencyRow, b: LatencyRow): number =>
    Number(isHousekeeping(a.operation)) - Number(isHousekeeping(b.operation)) || key(b) - key(a);
  const sorted = [...groups.entries()].map(([s, rs]): [string, LatencyRow[]] => [s, [...rs].sort(order)]);
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

/** Where a row's figures come from; an operation both measured says how many requests Prometheus counted. */
export function sourceNote(r: LatencyRow): string {
  if (r.source === 'prometheus') return 'source: Prometheus (http_server_requests_seconds)';
  if (r.metricsCount === undefined) return 'source: spans';
  return `source: spans (also in Prometheus: ${r.metricsCount} requests counted there)`;
}

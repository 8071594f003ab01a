// Dockhand's custom LSP surface as the extension sees it; mirrors server/dockhand/lsp/protocol.py.

export const Requests = {
  services: 'dockhand/services',
  traces: 'dockhand/traces',
  trace: 'dockhand/trace',
  latency: 'dockhand/latency',
  traceLogs: 'dockhand/traceLogs',
  graph: 'dockhand/graph',
  graphExport: 'dockhand/graphExport',
} as const;

export const Notifications = {
  stateChanged: 'dockhand/stateChanged',
  telemetryChanged: 'dockhand/telemetryChanged',
  engineStatus: 'dockhand/engineStatus',
  resourcesChanged: 'dockhand/resourcesChanged',
} as const;

/** Server-side commands (workspace/executeCommand); argument: one LifecycleTarget. */
export const ServerCommands = {
  up: 'dockhand.up',
  down: 'dockhand.down',
  start: 'dockhand.start',
  stop: 'dockhand.stop',
  restart: 'dockhand.restart',
  logs: 'dockhand.logs',
} as const;

export interface LifecycleTarget { project: string; service?: string; uri?: string }

export interface Remediable { message: string; remediation: string }

export interface EngineStatus {
  state: 'up' | 'down' | 'unknown'; version?: string; error?: Remediable;
  /** Which engine (runtime/contexts): its address, Docker context, and whether it is on another machine. */
  host?: string; context?: string; remote?: boolean; address?: string;
}

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

export interface ServiceInfo {
  name: string;
  state: string;
  health: string;
  exitCode?: number;
  startedAt?: string;
  restarts: number;
  image: string;
  replicas: number;
  urls: { label: string; url: string }[];
  dependsOn: string[];
  uri?: string;
  range?: Range;
  lastError?: string;
  resources?: ResourceUse;
}

/** The latest resource samples of a service's running replicas, summed; bytes are totals since start. */
export interface ResourceUse {
  cpuPercent: number | null;
  memUsed: number;
  memLimit: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
}

export interface ProjectInfo { name: string; workingDir: string; configFiles: string[]; services: ServiceInfo[] }

/** A Swarm stack's service (`docker stack deploy`): mode, replicas running/desired, its newest tasks. */
export interface StackTaskInfo { name: string; node: string; state: string; desired: string; error: string; actuator?: string }
export interface StackServiceInfo {
  name: string; mode: string; running: number; desired: number | null; updateState: string; lastError: string;
  tasks: StackTaskInfo[];
}
export interface StackInfo { name: string; services: StackServiceInfo[] }

export interface ServicesResult { engine: EngineStatus; projects: ProjectInfo[]; stacks?: StackInfo[] }

export interface TraceFilter { service?: string; operation?: string; minDurationMs?: number; limit?: number }

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  startTimeUnixNano: number | string;
  durationMs: number;
  spanCount: number;
  error: boolean;
  services: string[];
}

export interface Span {
  spanId: string;
  parentSpanId?: string;
  service: string;
  name: string;
  kind: string;
  startTimeUnixNano: number | string;
  durationMs: number;
  status: 'ok' | 'error' | 'unset';
  attributes: Record<string, unknown>;
}

export interface TraceDetail { traceId: string; spans: Span[] }

export interface LatencyRow {
  service: string;
  operation: string;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  count: number;
  errorRate: number;
  source: 'spans' | 'prometheus';
  sources?: ('spans' | 'prometheus')[];
  metricsCount?: number;
}

export interface LogLine { service: string; container: string; timestamp: string | number; line: string; traceId: string; spanId?: string }

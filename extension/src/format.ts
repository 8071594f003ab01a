// Pure presentation helpers shared by the trees and the status bar (no VS Code import: unit-tested in node).
import { resourceSummary } from './resourceFormat';
import type { EngineStatus, ProjectInfo, ServiceInfo, ServicesResult } from './protocol';

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
  const usage = s.resources && s.state === 'running' ? [resourceSummary(s.resources)] : [];
  return [word, ...urlPorts(s), ...usage].join(' · ');
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
  // A remote engine (ssh/tcp context) is named in the status bar: the state shown is that machine's.
  const where = result.engine.remote ? `$(remote) ${result.engine.context && result.engine.context !== 'default' ? result.engine.context : result.engine.address} · ` : '';
  if (result.engine.state === 'down') return { text: `${where}$(error) Docker down`, problem: true };
  const { healthy, total } = healthCount(result, workspaceFolders);
  if (total === 0) return { text: `${where}$(circle-outline) not running`, problem: false };
  const problem = healthy < total;
  return { text: `${where}${problem ? '$(warning)' : '$(pass)'} ${healthy}/${total} healthy`, problem };
}

/** The status bar tooltip's engine line: which engine and how it was chosen. */
export function engineLine(engine: EngineStatus | undefined): string {
  if (!engine?.host) return '';
  const named = engine.context && engine.context !== 'default' ? `context \`${engine.context}\` → ` : '';
  return `Docker Engine: ${named}\`${engine.host}\`${engine.version ? ` (${engine.version})` : ''}`;
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

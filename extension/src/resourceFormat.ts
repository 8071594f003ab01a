// Resource figures (CPU, memory, network, block I/O) as the Services tree and the Resources view show them.
import type { ProjectInfo, ResourceUse, ServiceInfo } from './protocol';

export type ResourceSort = 'cpu' | 'memory' | 'network' | 'block' | 'name';
export const RESOURCE_SORTS: ResourceSort[] = ['cpu', 'memory', 'network', 'block', 'name'];
export const SORT_LABELS: Record<ResourceSort, string> = {
  cpu: 'CPU',
  memory: 'memory',
  network: 'network I/O',
  block: 'block I/O',
  name: 'name',
};

/** `512 B`, `1.5 KiB`, `20.3 MiB` (binary units, like `docker stats`). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatCpu(r: ResourceUse): string {
  return r.cpuPercent === null || r.cpuPercent === undefined ? '…' : `${r.cpuPercent.toFixed(1)}%`;
}

/** The memory share of the limit, or undefined without a limit. */
export function memoryShare(r: ResourceUse): number | undefined {
  return r.memLimit > 0 ? r.memUsed / r.memLimit : undefined;
}

/** `1.2% · 20.0 MiB`: appended to a running service's line in the Services tree. */
export function resourceSummary(r: ResourceUse): string {
  return `${formatCpu(r)} · ${formatBytes(r.memUsed)}`;
}

/** The Resources view's line: every figure, in the order of the sort keys. */
export function resourceDescription(r: ResourceUse): string {
  const share = memoryShare(r);
  const percent = share === undefined ? '' : ` (${Math.round(share * 100)}%)`;
  return [
    `CPU ${formatCpu(r)}`,
    `mem ${formatBytes(r.memUsed)} / ${formatBytes(r.memLimit)}${percent}`,
    `net ↓${formatBytes(r.netRx)} ↑${formatBytes(r.netTx)}`,
    `blk r ${formatBytes(r.blkRead)} w ${formatBytes(r.blkWrite)}`,
  ].join(' · ');
}

export interface ResourceRow { project: string; service: ServiceInfo; resources: ResourceUse }

function sortValue(row: ResourceRow, key: ResourceSort): number {
  const r = row.resources;
  if (key === 'cpu') return r.cpuPercent ?? -1;
  if (key === 'memory') return r.memUsed;
  if (key === 'network') return r.netRx + r.netTx;
  if (key === 'block') return r.blkRead + r.blkWrite;
  return 0;
}

/** The services that have figures, biggest first by `key` (by name for `name`). */
export function resourceRows(projects: ProjectInfo[], key: ResourceSort): ResourceRow[] {
  const rows = projects.flatMap((p) =>
    p.services.filter((s) => s.resources).map((s) => ({ project: p.name, service: s, resources: s.resources as ResourceUse })),
  );
  const byName = (a: ResourceRow, b: ResourceRow): number =>
    a.project.localeCompare(b.project) || a.service.name.localeCompare(b.service.name);
  return rows.sort((a, b) => (key === 'name' ? byName(a, b) : sortValue(b, key) - sortValue(a, key) || byName(a, b)));
}

export function nextSort(key: ResourceSort): ResourceSort {
  return RESOURCE_SORTS[(RESOURCE_SORTS.indexOf(key) + 1) % RESOURCE_SORTS.length] ?? 'cpu';
}

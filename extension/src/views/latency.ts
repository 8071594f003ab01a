// Latency tree: service → operations with p50/p95/p99, count and error rate; sorted by p95 or errors.
import * as vscode from 'vscode';
import type { Reply } from '../client';
import { formatMs, formatPercent } from '../format';
import { groupLatency, latencyDescription, sourceNote, type LatencySort } from '../traceFormat';
import { Requests, type LatencyRow } from '../protocol';
import { RequestTree, themeIcon } from './common';

export type LatencyNode = { kind: 'service'; service: string; rows: LatencyRow[] } | { kind: 'row'; row: LatencyRow };

export class LatencyTree extends RequestTree<{ rows: LatencyRow[] }, LatencyNode> {
  private sort: LatencySort = 'p95';

  protected fetch(): Promise<Reply<{ rows: LatencyRow[] }>> {
    return this.client.request<{ rows: LatencyRow[] }>(Requests.latency, {});
  }

  protected emptyMessage(data: { rows: LatencyRow[] }): string | undefined {
    return data.rows.length ? undefined : 'No latency figures yet: they appear once spans or metrics arrive.';
  }

  toggleSort(): LatencySort {
    this.sort = this.sort === 'p95' ? 'errors' : 'p95';
    if (this.view) this.view.description = `by ${this.sort === 'p95' ? 'p95' : 'error rate'}`;
    void this.refresh();
    return this.sort;
  }

  getChildren(node?: LatencyNode): LatencyNode[] {
    if (!node) {
      return groupLatency(this.data?.rows ?? [], this.sort).map(([service, rows]) => ({ kind: 'service', service, rows }));
    }
    return node.kind === 'service' ? node.rows.map((row) => ({ kind: 'row', row })) : [];
  }

  getTreeItem(node: LatencyNode): vscode.TreeItem {
    if (node.kind === 'service') {
      const worst = node.rows[0];
      const item = new vscode.TreeItem(node.service, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `latency:${node.service}`;
      item.description = worst ? `p95 ${formatMs(worst.p95Ms)} · ${formatPercent(worst.errorRate)} err` : '';
      item.iconPath = themeIcon('server-process');
      return item;
    }
    const r = node.row;
    const item = new vscode.TreeItem(r.operation, vscode.TreeItemCollapsibleState.None);
    item.id = `latency:${r.service}/${r.operation}`; // one row per operation: the server merges spans and metrics
    item.description = r.source === 'prometheus' ? `${latencyDescription(r)} · metrics` : latencyDescription(r);
    item.tooltip = `${r.service} ${r.operation}\n${latencyDescription(r)}\n${sourceNote(r)}`;
    item.iconPath = r.errorRate > 0 ? themeIcon('warning', 'charts.yellow') : themeIcon('dashboard');
    item.contextValue = 'latencyRow';
    return item;
  }
}

// Traces tree: recent traces (filterable) → their span tree, fetched when a trace is expanded.
import * as vscode from 'vscode';
import type { Reply } from '../client';
import { formatMs } from '../format';
import { describeFilter, spanTree, traceDescription, traceLabel, type SpanNode } from '../traceFormat';
import { Requests, type TraceDetail, type TraceFilter, type TraceSummary } from '../protocol';
import { RequestTree, themeIcon } from './common';

export type TraceNode = { kind: 'trace'; trace: TraceSummary } | { kind: 'span'; traceId: string; node: SpanNode };

const LIMIT = 100;

export class TracesTree extends RequestTree<{ traces: TraceSummary[] }, TraceNode> {
  private filter: TraceFilter = {};
  private details = new Map<string, Promise<Reply<TraceDetail | null>>>();

  protected fetch(): Promise<Reply<{ traces: TraceSummary[] }>> {
    return this.client.request<{ traces: TraceSummary[] }>(Requests.traces, { ...this.filter, limit: LIMIT });
  }

  protected emptyMessage(data: { traces: TraceSummary[] }): string | undefined {
    if (data.traces.length) return undefined;
    const filter = describeFilter(this.filter);
    return filter
      ? `No trace matches ${filter}.`
      : 'No traces yet: send OpenTelemetry (OTLP/HTTP) to Dockhand\'s receiver, or choose a trace provider.';
  }

  protected onLoaded(): void {
    this.details.clear(); // spans of recent traces may still be arriving
  }

  get currentFilter(): TraceFilter {
    return this.filter;
  }

  setFilter(filter: TraceFilter): Promise<void> {
    this.filter = filter;
    const text = describeFilter(filter);
    if (this.view) this.view.description = text || undefined;
    void vscode.commands.executeCommand('setContext', 'dockhand.tracesFiltered', Boolean(text));
    return this.refresh();
  }

  /** One trace's spans; shared by the tree and the waterfall view. */
  detail(traceId: string): Promise<Reply<TraceDetail | null>> {
    let pending = this.details.get(traceId);
    if (!pending) {
      pending = this.client.request<TraceDetail | null>(Requests.trace, { traceId });
      this.details.set(traceId, pending);
    }
    return pending;
  }

  async getChildren(node?: TraceNode): Promise<TraceNode[]> {
    if (!node) return (this.data?.traces ?? []).map((trace) => ({ kind: 'trace', trace }));
    if (node.kind === 'span') return node.node.children.map((child) => ({ kind: 'span', traceId: node.traceId, node: child }));
    const reply = await this.detail(node.trace.traceId);
    if (!reply.ok || !reply.value) return [];
    return spanTree(reply.value.spans).map((root) => ({ kind: 'span', traceId: node.trace.traceId, node: root }));
  }

  getTreeItem(node: TraceNode): vscode.TreeItem {
    const collapsed = vscode.TreeItemCollapsibleState;
    if (node.kind === 'trace') {
      const t = node.trace;
      const item = new vscode.TreeItem(traceLabel(t), collapsed.Collapsed);
      item.id = `trace:${t.traceId}`;
      item.description = traceDescription(t);
      item.iconPath = t.error ? themeIcon('error', 'testing.iconFailed') : themeIcon('pulse');
      item.tooltip = `${t.traceId}\nservices: ${t.services.join(', ')}`;
      item.contextValue = 'trace';
      item.command = { command: 'dockhand.traces.open', title: 'Open trace', arguments: [node] };
      return item;
    }
    const span = node.node.span;
    const item = new vscode.TreeItem(`${span.service}: ${span.name}`, node.node.children.length ? collapsed.Expanded : collapsed.None);
    item.id = `span:${node.traceId}/${span.spanId}`;
    item.description = `${formatMs(span.durationMs)}${span.status === 'error' ? ' · error' : ''}`;
    item.iconPath = span.status === 'error' ? themeIcon('error', 'testing.iconFailed') : themeIcon('debug-stackframe-dot');
    item.contextValue = 'span';
    return item;
  }
}

// Commands behind the trees: open URLs, go to a service, filter and open traces, show a trace's logs, sort.
import * as vscode from 'vscode';
import type { DockhandClient } from './client';
import { describeFilter, formatLogTime } from './traceFormat';
import { parseTraceFilter } from './filter';
import { locateService } from './locate';
import { Requests, type LogLine } from './protocol';
import type { LatencyTree } from './views/latency';
import type { ServiceNode, ServicesTree } from './views/services';
import type { TraceView } from './views/traceView';
import type { TraceNode, TracesTree } from './views/traces';

export interface Views { services: ServicesTree; traces: TracesTree; latency: LatencyTree; traceView: TraceView }

export function registerViewCommands(client: DockhandClient, views: Views): vscode.Disposable[] {
  const traceLogs = vscode.window.createOutputChannel('Dockhand: Trace Logs');
  const traceIdOf = (arg: TraceNode | string): string | undefined =>
    typeof arg === 'string' ? arg : arg?.kind === 'trace' ? arg.trace.traceId : arg?.traceId;
  return [
    traceLogs,
    vscode.commands.registerCommand('dockhand.view.refresh', () =>
      Promise.all([views.services.refresh(), views.traces.refresh(), views.latency.refresh()]),
    ),
    vscode.commands.registerCommand('dockhand.view.openUrl', (arg: ServiceNode | string) => {
      const url = typeof arg === 'string' ? arg : arg?.kind === 'url' ? arg.url : undefined;
      return url ? vscode.env.openExternal(vscode.Uri.parse(url)) : false;
    }),
    vscode.commands.registerCommand('dockhand.view.revealService', async (arg: ServiceNode | string) => {
      const found = typeof arg === 'string' ? views.services.findService(arg) : arg?.kind === 'service' ? arg : undefined;
      const declaration = found && (await locateService(found.project, found.service));
      if (!declaration) {
        const name = typeof arg === 'string' ? arg : found?.service.name ?? '';
        void vscode.window.showInformationMessage(`Dockhand does not know where service ${name} is declared.`);
        return;
      }
      await vscode.window.showTextDocument(declaration.uri, { selection: declaration.range });
    }),
    vscode.commands.registerCommand('dockhand.traces.filter', async () => {
      const text = await vscode.window.showInputBox({
        title: 'Filter traces',
        prompt: 'service:NAME  op:"OPERATION"  min:250ms — empty clears the filter',
        value: describeFilter(views.traces.currentFilter),
        validateInput: (v) => parseTraceFilter(v).errors[0],
      });
      if (text !== undefined) await views.traces.setFilter(parseTraceFilter(text).filter);
    }),
    vscode.commands.registerCommand('dockhand.traces.clearFilter', () => views.traces.setFilter({})),
    vscode.commands.registerCommand('dockhand.traces.open', (arg: TraceNode | string) => {
      const traceId = traceIdOf(arg);
      return traceId ? views.traceView.show(traceId) : undefined;
    }),
    vscode.commands.registerCommand('dockhand.traces.logs', async (arg: TraceNode | string) => {
      const traceId = traceIdOf(arg);
      if (!traceId) return;
      const reply = await client.request<{ lines: LogLine[] }>(Requests.traceLogs, { traceId });
      traceLogs.clear();
      traceLogs.appendLine(`Log lines of trace ${traceId}`);
      if (!reply.ok) traceLogs.appendLine(reply.message);
      else if (!reply.value.lines.length) traceLogs.appendLine('No container log line names this trace.');
      else for (const l of reply.value.lines) traceLogs.appendLine(`${formatLogTime(l.timestamp)} ${l.service.padEnd(12)} | ${l.line}`);
      traceLogs.show(true);
    }),
    vscode.commands.registerCommand('dockhand.latency.sort', () => views.latency.toggleSort()),
  ];
}

// Dockhand's entry point: one log channel, the language client, the trees, the status bar, the commands.
import * as vscode from 'vscode';
import { DockhandClient } from './client';
import { registerSettingsCommands, registerStackCommands } from './commands';
import { registerGraphCommands } from './graphCommands';
import { Notifications, type EngineStatus } from './protocol';
import { DockhandStatus } from './status';
import { onConfigurationChange } from './settings';
import { registerViewCommands } from './viewCommands';
import { GraphView } from './views/graph';
import { LatencyTree } from './views/latency';
import { ResourcesTree } from './views/resources';
import { ServicesTree } from './views/services';
import { TraceView } from './views/traceView';
import { TracesTree } from './views/traces';

let client: DockhandClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const activatedAt = Date.now();
  const log = vscode.window.createOutputChannel('Dockhand', { log: true });
  log.info(`Dockhand ${String((context.extension.packageJSON as { version?: string }).version)} activating`);
  client = new DockhandClient(context, log, activatedAt);
  const services = new ServicesTree(client);
  const traces = new TracesTree(client);
  const latency = new LatencyTree(client);
  const traceView = new TraceView(traces);
  const graph = new GraphView(client, context.extensionUri);
  const status = new DockhandStatus(client);
  const resources = new ResourcesTree();
  services.view = vscode.window.createTreeView('dockhand.services', { treeDataProvider: services, showCollapseAll: true });
  traces.view = vscode.window.createTreeView('dockhand.traces', { treeDataProvider: traces, showCollapseAll: true });
  latency.view = vscode.window.createTreeView('dockhand.latency', { treeDataProvider: latency });
  resources.view = vscode.window.createTreeView('dockhand.resources', { treeDataProvider: resources });
  const refreshAll = (): Promise<unknown> => Promise.all([services.refresh(), traces.refresh(), latency.refresh(), graph.refresh()]);
  const dockhand = client;

  context.subscriptions.push(
    log, client, services, traces, latency, traceView, graph, status, services.view, traces.view, latency.view,
    resources, resources.view,
    services.onDidLoad((result) => status.showServices(result)),
    services.onDidLoad((result) => resources.show(result)),
    // The server pushes changes; the extension never polls.
    client.onNotification(({ method, params }) => {
      if (method === Notifications.stateChanged) void Promise.all([services.refresh(), graph.refresh()]);
      if (method === Notifications.resourcesChanged) void services.refresh(); // the figures only: no new graph
      if (method === Notifications.telemetryChanged) {
        void Promise.all([traces.refresh(), latency.refresh()]);
        graph.onTelemetry();
      }
      if (method === Notifications.engineStatus) {
        const engine = params as EngineStatus;
        status.showEngine(engine.state === 'down' ? 'down' : 'up', engine.error, engine);
        void Promise.all([services.refresh(), graph.refresh()]);
      }
    }),
    client.onDidChangeState((state) => {
      if (state === 'running' || state === 'failed') void refreshAll();
      if (state === 'failed' && dockhand.problem) void explainFailure(dockhand.problem, log);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const action = onConfigurationChange((section) => e.affectsConfiguration(section));
      if (action === 'restart') void dockhand.restart();
      else if (action === 'send') dockhand.sendConfiguration();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => dockhand.sendConfiguration()),
    vscode.commands.registerCommand('dockhand.restartServer', () => dockhand.restart()),
    vscode.commands.registerCommand('dockhand.showLog', () => log.show()),
    vscode.commands.registerCommand('dockhand.resources.sort', () => resources.cycleSort()),
    ...registerStackCommands(client, services),
    ...registerSettingsCommands(),
    ...registerViewCommands(client, { services, traces, latency, traceView }),
    ...registerGraphCommands(client, graph),
  );
  await client.start();
}

async function explainFailure(problem: { message: string; fix: string }, log: vscode.LogOutputChannel): Promise<void> {
  const pick = await vscode.window.showErrorMessage(`Dockhand: ${problem.message} ${problem.fix}`, 'Open Settings', 'Show Log');
  if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'dockhand.server');
  if (pick === 'Show Log') log.show();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

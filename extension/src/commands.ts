// Commands that act on the stack (start/stop/restart/logs/up/down) and on Dockhand's own settings.
import * as vscode from 'vscode';
import type { DockhandClient, Reply } from './client';
import { ServerCommands, type LifecycleTarget, type ProjectInfo } from './protocol';
import type { ServiceNode, ServicesTree } from './views/services';

const PROVIDERS: vscode.QuickPickItem[] = [
  { label: 'otlp', description: 'Dockhand\'s own OTLP/HTTP receiver (services send spans to it)' },
  { label: 'jaeger', description: 'query a Jaeger server' },
  { label: 'zipkin', description: 'query a Zipkin server' },
  { label: 'tempo', description: 'query a Grafana Tempo server' },
  { label: 'none', description: 'no traces' },
];

export function registerStackCommands(client: DockhandClient, services: ServicesTree): vscode.Disposable[] {
  const run = async (command: string, target: LifecycleTarget, what: string): Promise<Reply<unknown>> => {
    const reply = await vscode.window.withProgress(
      { location: { viewId: 'dockhand.services' }, title: what },
      () => client.executeServerCommand(command, target),
    );
    if (!reply.ok) void vscode.window.showErrorMessage(`Dockhand: ${what} failed — ${reply.message}`);
    return reply;
  };
  const onService = (command: string, verb: string) => (node: ServiceNode) => {
    if (node?.kind !== 'service') return;
    return run(command, { project: node.project.name, service: node.service.name, uri: node.service.uri }, `${verb} ${node.service.name}`);
  };
  const onProject = (command: string, verb: string) => async () => {
    const project = await pickProject(services.snapshot?.projects ?? []);
    if (project) await run(command, { project: project.name, uri: project.configFiles[0] }, `${verb} ${project.name}`);
  };
  return [
    vscode.commands.registerCommand('dockhand.view.start', onService(ServerCommands.start, 'Start')),
    vscode.commands.registerCommand('dockhand.view.stop', onService(ServerCommands.stop, 'Stop')),
    vscode.commands.registerCommand('dockhand.view.restart', onService(ServerCommands.restart, 'Restart')),
    vscode.commands.registerCommand('dockhand.view.upAll', onProject(ServerCommands.up, 'Up')),
    vscode.commands.registerCommand('dockhand.view.downAll', onProject(ServerCommands.down, 'Down')),
    vscode.commands.registerCommand('dockhand.view.logs', async (node: ServiceNode) => {
      if (node?.kind !== 'service') return;
      const reply = await client.executeServerCommand(ServerCommands.logs, { project: node.project.name, service: node.service.name });
      // The server streams `docker compose logs` into the Dockhand channel; an older server gets a terminal.
      if (reply.ok) await vscode.commands.executeCommand('dockhand.showLog');
      else if (vscode.workspace.isTrusted) followLogsInTerminal(node.project.name, node.service.name);
    }),
  ];
}

/** Fallback while the server has no logs command: the real `docker compose logs` in a terminal. */
function followLogsInTerminal(project: string, service: string): void {
  const terminal = vscode.window.createTerminal({ name: `logs: ${service}` });
  terminal.sendText(`docker compose --project-name '${project.replace(/'/g, '')}' logs --follow --tail 200 '${service.replace(/'/g, '')}'`);
  terminal.show();
}

async function pickProject(projects: ProjectInfo[]): Promise<ProjectInfo | undefined> {
  if (projects.length <= 1) return projects[0];
  const pick = await vscode.window.showQuickPick(projects.map((p) => ({ label: p.name, description: p.workingDir, project: p })));
  return pick?.project;
}

export function registerSettingsCommands(): vscode.Disposable[] {
  const target = (): vscode.ConfigurationTarget =>
    vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  return [
    vscode.commands.registerCommand('dockhand.toggleCodeLens', async () => {
      const config = vscode.workspace.getConfiguration('dockhand');
      await config.update('codeLens', !config.get<boolean>('codeLens', true), target());
    }),
    vscode.commands.registerCommand('dockhand.chooseTraceProvider', async () => {
      const config = vscode.workspace.getConfiguration('dockhand');
      const current = config.get<string>('traceProvider', 'otlp');
      const pick = await vscode.window.showQuickPick(
        PROVIDERS.map((p) => ({ ...p, picked: p.label === current })),
        { title: 'Where should Dockhand read traces from?' },
      );
      if (!pick) return;
      if (['jaeger', 'zipkin', 'tempo'].includes(pick.label)) {
        const url = await vscode.window.showInputBox({
          title: `Base URL of the ${pick.label} query API`,
          value: config.get<string>('traceUrl', ''),
          validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'An http:// or https:// URL'),
        });
        if (url === undefined) return;
        await config.update('traceUrl', url.trim(), target());
      }
      await config.update('traceProvider', pick.label, target());
    }),
  ];
}

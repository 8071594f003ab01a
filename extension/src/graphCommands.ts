// Commands of the dependency graph: show it, restart a service after naming its blast radius, export it as text.
import * as vscode from 'vscode';
import type { DockhandClient } from './client';
import { blastRadiusMessage } from './graphModel';
import { Requests, ServerCommands } from './protocol';
import type { GraphView } from './views/graph';

type ServiceArg = { service?: string } | string | undefined;
const serviceOf = (arg: ServiceArg): string | undefined => (typeof arg === 'string' ? arg : arg?.service);

export function registerGraphCommands(client: DockhandClient, graph: GraphView): vscode.Disposable[] {
  const exportAs = (format: 'mermaid' | 'dot') => async (): Promise<void> => {
    const project = graph.model?.project;
    const reply = await client.request<{ text?: string; error?: { message: string; remediation: string } }>(
      Requests.graphExport, project ? { format, project } : { format },
    );
    if (!reply.ok || !reply.value.text) {
      const why = reply.ok ? `${reply.value.error?.message}. ${reply.value.error?.remediation}` : reply.message;
      void vscode.window.showErrorMessage(`Dockhand: the graph could not be exported — ${why}`);
      return;
    }
    const document = await vscode.workspace.openTextDocument({ content: reply.value.text, language: format });
    await vscode.window.showTextDocument(document, { preview: false });
  };
  return [
    vscode.commands.registerCommand('dockhand.showGraph', () => graph.show()),
    vscode.commands.registerCommand('dockhand.graph.revealService', (arg: ServiceArg) => {
      const name = serviceOf(arg);
      return name ? graph.reveal(name) : undefined;
    }),
    vscode.commands.registerCommand('dockhand.graph.restartService', (arg: ServiceArg) => restart(client, graph, serviceOf(arg))),
    vscode.commands.registerCommand('dockhand.graph.exportMermaid', exportAs('mermaid')),
    vscode.commands.registerCommand('dockhand.graph.exportDot', exportAs('dot')),
  ];
}

async function restart(client: DockhandClient, graph: GraphView, name: string | undefined): Promise<void> {
  if (!name) return;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Dockhand runs no lifecycle action in an untrusted workspace: trust it first (Manage Workspace Trust).');
    return;
  }
  await graph.refresh(); // the blast radius of now, not of the last picture
  const node = graph.findNode(name);
  const project = graph.model?.project;
  if (!node || !project || node.external) {
    void vscode.window.showInformationMessage(`Dockhand: ${name} is not a service of a compose project it knows.`);
    return;
  }
  const pick = await vscode.window.showWarningMessage(blastRadiusMessage(node), { modal: true }, 'Restart');
  if (pick !== 'Restart') return;
  const reply = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Restarting ${name}` },
    () => client.executeServerCommand(ServerCommands.restart, { project, service: name, uri: node.uri }),
  );
  if (!reply.ok) void vscode.window.showErrorMessage(`Dockhand: Restart ${name} failed — ${reply.message}`);
}

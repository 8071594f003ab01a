// Services tree: compose projects → services (state, health, URLs) → URLs and dependencies; Swarm stacks →
// services (mode, replicas) → tasks (node, state, error).
import * as vscode from 'vscode';
import type { Reply } from '../client';
import { orderProjects, serviceDescription, serviceIcon } from '../format';
import { Requests, type ProjectInfo, type ServiceInfo, type ServicesResult, type StackInfo, type StackServiceInfo, type StackTaskInfo } from '../protocol';
import { RequestTree, themeIcon } from './common';
import { stackItem, stackServiceItem, taskItem } from './stackItems';

export type ServiceNode =
  | { kind: 'project'; project: ProjectInfo; local: boolean }
  | { kind: 'service'; project: ProjectInfo; service: ServiceInfo }
  | { kind: 'url'; label: string; url: string }
  | { kind: 'dependency'; project: ProjectInfo; name: string }
  | { kind: 'stack'; stack: StackInfo }
  | { kind: 'stackService'; stack: StackInfo; service: StackServiceInfo }
  | { kind: 'task'; task: StackTaskInfo };

export class ServicesTree extends RequestTree<ServicesResult, ServiceNode> {
  protected fetch(): Promise<Reply<ServicesResult>> {
    return this.client.request<ServicesResult>(Requests.services);
  }

  protected emptyMessage(data: ServicesResult): string | undefined {
    if (data.engine.state === 'down') {
      const error = data.engine.error;
      return error ? `Docker: ${error.message} — ${error.remediation}` : 'The Docker Engine is not reachable.';
    }
    return data.projects.length || data.stacks?.length ? undefined : 'No compose project found in this workspace.';
  }

  get snapshot(): ServicesResult | undefined {
    return this.data;
  }

  /** The service's declaration in its compose file, for "go to service" from a trace span. */
  findService(name: string): { project: ProjectInfo; service: ServiceInfo } | undefined {
    const found = (this.data?.projects ?? []).flatMap((project) =>
      project.services.filter((s) => s.name === name).map((service) => ({ project, service })),
    );
    // Prefer a project that declares it (it has config files) over one known only from running containers.
    return found.find((f) => f.service.uri) ?? found.find((f) => f.project.configFiles.length) ?? found[0];
  }

  getChildren(node?: ServiceNode): ServiceNode[] {
    if (!node) {
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      const projects: ServiceNode[] = orderProjects(this.data?.projects ?? [], folders).map(({ project, local }) => ({ kind: 'project', project, local }));
      return [...projects, ...(this.data?.stacks ?? []).map((stack): ServiceNode => ({ kind: 'stack', stack }))];
    }
    if (node.kind === 'stack') {
      return node.stack.services.map((service) => ({ kind: 'stackService', stack: node.stack, service }));
    }
    if (node.kind === 'stackService') {
      return node.service.tasks.map((task) => ({ kind: 'task', task }));
    }
    if (node.kind === 'project') {
      return node.project.services.map((service) => ({ kind: 'service', project: node.project, service }));
    }
    if (node.kind === 'service') {
      const urls: ServiceNode[] = node.service.urls.map((u) => ({ kind: 'url', label: u.label, url: u.url }));
      const deps: ServiceNode[] = node.service.dependsOn.map((name) => ({ kind: 'dependency', project: node.project, name }));
      return [...urls, ...deps];
    }
    return [];
  }

  getTreeItem(node: ServiceNode): vscode.TreeItem {
    const collapsed = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'project': {
        // This workspace's projects open; other projects on the engine stay folded.
        const item = new vscode.TreeItem(node.project.name, node.local ? collapsed.Expanded : collapsed.Collapsed);
        item.description = node.project.workingDir;
        item.iconPath = themeIcon('layers');
        item.contextValue = 'project';
        item.id = `project:${node.project.name}:${node.local ? 'here' : 'elsewhere'}`; // a new id when it becomes local, so it expands
        return item;
      }
      case 'service': {
        const s = node.service;
        const hasChildren = s.urls.length + s.dependsOn.length > 0;
        const item = new vscode.TreeItem(s.name, hasChildren ? collapsed.Collapsed : collapsed.None);
        const icon = serviceIcon(s);
        item.description = serviceDescription(s);
        item.iconPath = themeIcon(icon.id, icon.color);
        item.contextValue = 'service';
        item.id = `service:${node.project.name}/${s.name}`;
        item.tooltip = serviceTooltip(s);
        if (s.uri || node.project.configFiles.length) item.command = { command: 'dockhand.view.revealService', title: 'Go to service', arguments: [node] };
        return item;
      }
      case 'url': {
        const item = new vscode.TreeItem(node.url, collapsed.None);
        item.description = node.label !== node.url ? node.label : undefined;
        item.iconPath = themeIcon('link-external');
        item.contextValue = 'url';
        item.command = { command: 'dockhand.view.openUrl', title: 'Open', arguments: [node] };
        return item;
      }
      case 'stack':
        return stackItem(node.stack);
      case 'stackService':
        return stackServiceItem(node.stack, node.service);
      case 'task':
        return taskItem(node.task);
      case 'dependency': {
        const item = new vscode.TreeItem(`depends on ${node.name}`, collapsed.None);
        item.iconPath = themeIcon('arrow-right');
        item.contextValue = 'dependency';
        return item;
      }
    }
  }
}

function serviceTooltip(s: ServiceInfo): vscode.MarkdownString {
  const lines = [
    `**${s.name}** — ${serviceDescription(s)}`,
    `image \`${s.image || '?'}\` · restarts ${s.restarts}${s.startedAt ? ` · started ${s.startedAt}` : ''}`,
  ];
  if (s.lastError) lines.push(`$(warning) ${s.lastError}`);
  const md = new vscode.MarkdownString(lines.join('\n\n'), true);
  md.isTrusted = false; // service data comes from containers: never run command links found in it
  return md;
}

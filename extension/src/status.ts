// Status bar item: engine state and stack health (`5/6 healthy`); a click focuses Services or shows the fix.
import * as vscode from 'vscode';
import type { ClientState, DockhandClient } from './client';
import { engineLine, statusSummary } from './format';
import type { EngineStatus, Remediable, ServicesResult } from './protocol';

export const STATUS_CLICK = 'dockhand.status.click';

export class DockhandStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('dockhand.status', vscode.StatusBarAlignment.Left, 50);
  private services: ServicesResult | undefined;
  private engineError: Remediable | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly client: DockhandClient) {
    this.item.name = 'Dockhand';
    this.item.command = STATUS_CLICK;
    this.disposables.push(
      vscode.commands.registerCommand(STATUS_CLICK, () => this.click()),
      client.onDidChangeState((state) => this.render(state)),
    );
    this.render(client.state);
    this.item.show();
  }

  showServices(result: ServicesResult | undefined): void {
    this.services = result;
    this.engineError = result?.engine.error;
    this.render(this.client.state);
  }

  /** dockhand/engineStatus arrives before the next services snapshot: show it at once. */
  showEngine(state: 'up' | 'down', error?: Remediable, engine?: EngineStatus): void {
    this.engineError = state === 'down' ? error : undefined;
    if (this.services) this.services = { ...this.services, engine: { ...this.services.engine, ...engine, state, error } };
    this.render(this.client.state);
  }

  private problem(state: ClientState): Remediable | undefined {
    if (state === 'failed' || state === 'stopped') {
      return { message: this.client.problem?.message ?? 'The Dockhand server is not running.', remediation: this.client.problem?.fix ?? 'Run "Dockhand: Restart Server".' };
    }
    return this.engineError;
  }

  private render(state: ClientState): void {
    const problem = this.problem(state);
    if (state === 'starting') {
      this.item.text = '$(sync~spin) Dockhand';
    } else if (state !== 'running') {
      this.item.text = '$(error) Dockhand';
    } else {
      this.item.text = this.services ? statusSummary(this.services, folders()).text : '$(server-process) Dockhand';
    }
    const unhealthy = this.services !== undefined && statusSummary(this.services, folders()).problem;
    const engine = engineLine(this.services?.engine);
    const body = problem ? `**${problem.message}**\n\n${problem.remediation}` : 'Dockhand: click to show Services';
    const md = new vscode.MarkdownString(engine ? `${body}\n\n${engine}` : body);
    this.item.tooltip = md;
    this.item.backgroundColor = problem
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : unhealthy ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  private async click(): Promise<void> {
    const problem = this.problem(this.client.state);
    if (!problem) {
      await vscode.commands.executeCommand('dockhand.services.focus');
      return;
    }
    const pick = await vscode.window.showWarningMessage(`${problem.message} ${problem.remediation}`, 'Show Log', 'Restart Server', 'Show Services');
    if (pick === 'Show Log') await vscode.commands.executeCommand('dockhand.showLog');
    if (pick === 'Restart Server') await vscode.commands.executeCommand('dockhand.restartServer');
    if (pick === 'Show Services') await vscode.commands.executeCommand('dockhand.services.focus');
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function folders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
}

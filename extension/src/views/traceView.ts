// The trace waterfall webview: one panel, reused, following the theme; spans link to compose files and logs.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { replyMessage } from './common';
import type { TracesTree } from './traces';
import { escapeHtml, waterfallHtml } from '../waterfall';

type FromWebview = { type: 'revealService'; service: string } | { type: 'logs'; spanId?: string };

export class TraceView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private traceId: string | undefined;

  constructor(private readonly traces: TracesTree) {}

  async show(traceId: string): Promise<void> {
    this.traceId = traceId;
    const panel = this.ensurePanel();
    panel.title = `Trace ${traceId.slice(0, 8)}`;
    panel.reveal(vscode.ViewColumn.Active);
    const reply = await this.traces.detail(traceId);
    if (this.traceId !== traceId) return; // another trace was opened meanwhile
    const nonce = randomBytes(16).toString('base64');
    if (reply.ok && reply.value) {
      panel.webview.html = waterfallHtml(reply.value, { nonce, cspSource: panel.webview.cspSource });
    } else {
      const why = reply.ok ? `The server no longer knows trace ${traceId}.` : replyMessage(reply) ?? '';
      panel.webview.html = `<!DOCTYPE html><html><body><p>${escapeHtml(why)}</p></body></html>`;
    }
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const panel = vscode.window.createWebviewPanel('dockhand.trace', 'Trace', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [],
    });
    panel.onDidDispose(() => (this.panel = undefined));
    panel.webview.onDidReceiveMessage((message: FromWebview) => {
      if (message.type === 'revealService') {
        void vscode.commands.executeCommand('dockhand.view.revealService', message.service);
      } else if (message.type === 'logs' && this.traceId) {
        void vscode.commands.executeCommand('dockhand.traces.logs', this.traceId);
      }
    });
    this.panel = panel;
    return panel;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

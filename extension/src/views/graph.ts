// The dependency-graph panel: one webview, kept while hidden, fed new models as the stack and its traces change.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { DockhandClient } from '../client';
import type { GraphModel, GraphNode } from '../graphModel';
import { Requests } from '../protocol';
import { Coalesced, replyMessage } from './common';

type FromWebview = { type: 'ready' } | { type: 'reveal'; service: string } | { type: 'command'; command?: string };

const TELEMETRY_REFRESH_MS = 5000; // calls/s and p95 move slowly; state changes refresh at once
const WEBVIEW_COMMANDS = new Set(['dockhand.graph.exportMermaid', 'dockhand.graph.exportDot', 'dockhand.view.refresh']);

export class GraphView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  model: GraphModel | undefined;
  private readonly loads = new Coalesced(() => this.load());
  private lastTelemetryRefresh = 0;

  constructor(private readonly client: DockhandClient, private readonly extensionUri: vscode.Uri) {}

  show(): void {
    const panel = this.ensurePanel();
    panel.reveal(undefined, false);
    void this.refresh();
  }

  /** Coalesced like the trees': a burst of state changes costs two requests. No-op while the panel is closed. */
  refresh(): Promise<void> {
    return this.panel ? this.loads.run() : Promise.resolve();
  }

  onTelemetry(): void {
    const now = Date.now();
    if (now - this.lastTelemetryRefresh < TELEMETRY_REFRESH_MS) return;
    this.lastTelemetryRefresh = now;
    void this.refresh();
  }

  findNode(name: string): GraphNode | undefined {
    return this.model?.nodes.find((n) => n.name === name);
  }

  async reveal(name: string): Promise<void> {
    const node = this.findNode(name);
    if (!node?.uri || !node.range) {
      await vscode.commands.executeCommand('dockhand.view.revealService', name);
      return;
    }
    const { start, end } = node.range;
    const selection = new vscode.Range(start.line, start.character, end.line, end.character);
    await vscode.window.showTextDocument(vscode.Uri.parse(node.uri), { selection, viewColumn: vscode.ViewColumn.One });
  }

  private async load(): Promise<void> {
    if (!this.panel) return; // closed while a follow-up load was queued
    const reply = await this.client.request<GraphModel>(Requests.graph, this.model?.project ? { project: this.model.project } : {});
    if (!reply.ok) {
      void this.panel?.webview.postMessage({ type: 'problem', message: replyMessage(reply) });
      return;
    }
    this.model = reply.value;
    void this.panel?.webview.postMessage({ type: 'model', model: reply.value });
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media', 'graph');
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('dockhand.graph', 'Dependency Graph', vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: true, // positions and the SVG survive a tab switch: no re-layout, no flicker
      localResourceRoots: [media, dist],
    });
    panel.webview.html = this.html(panel.webview, media, dist);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.model = undefined;
    });
    panel.webview.onDidReceiveMessage((message: FromWebview) => {
      if (message.type === 'ready') void this.refresh();
      else if (message.type === 'reveal') void this.reveal(message.service);
      else if (message.type === 'command' && message.command && WEBVIEW_COMMANDS.has(message.command)) {
        void vscode.commands.executeCommand(message.command);
      }
    });
    this.panel = panel;
    return panel;
  }

  private html(webview: vscode.Webview, media: vscode.Uri, dist: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'graph.css'));
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'graph.js'));
    const csp = `default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';`;
    const arrow = (id: string): string =>
      `<marker id="arrow-${id}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`;
    const sample = (cls: string): string =>
      `<svg width="34" height="8"><g class="edge ${cls}"><path class="line" d="M0,4 L34,4"/></g></svg>`;
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><link rel="stylesheet" href="${css}"><title>Dependency Graph</title></head>
<body><header><h2 id="title">Dependency graph</h2><span id="status">Loading…</span>
<button data-command="dockhand.graph.exportMermaid">Export Mermaid</button><button data-command="dockhand.graph.exportDot">Export DOT</button></header>
<div class="legend"><span>${sample('declared')}depends_on (condition)</span><span>${sample('declared observed verdict-confirmed')}declared and called</span>
<span>${sample('observed verdict-undeclared')}called, not declared</span><span>${sample('observed')}traced call</span>
<span>${sample('declared verdict-uncalled')}declared, never called</span><span>click: go to the service · right-click: restart</span></div>
<svg id="graph" xmlns="http://www.w3.org/2000/svg"><defs>${arrow('plain')}${arrow('bad')}${arrow('muted')}</defs><g id="edges"></g><g id="nodes"></g></svg>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

// Trace waterfall: span rows on a time axis, and the themed HTML that draws them (pure, unit-tested in node).
import { formatMs } from './format';
import { nano, spanTree, type SpanNode } from './traceFormat';
import type { Span, TraceDetail } from './protocol';

export interface WaterfallRow { span: Span; depth: number; offsetMs: number; offsetPct: number; widthPct: number }

const MIN_WIDTH_PCT = 0.3;

/** Rows in tree order (parents before children), positions relative to the earliest span. */
export function layoutWaterfall(spans: Span[]): { rows: WaterfallRow[]; totalMs: number } {
  if (spans.length === 0) return { rows: [], totalMs: 0 };
  const start = spans.map((s) => nano(s.startTimeUnixNano)).reduce((a, b) => (b < a ? b : a));
  const offset = (s: Span): number => Number(nano(s.startTimeUnixNano) - start) / 1e6;
  const totalMs = Math.max(...spans.map((s) => offset(s) + s.durationMs), 1e-6);
  const rows: WaterfallRow[] = [];
  const walk = (nodes: SpanNode[], depth: number): void => {
    for (const n of nodes) {
      const offsetMs = offset(n.span);
      // A 0 ms span stays visible, even the last one, without running past the axis.
      const offsetPct = Math.min((offsetMs / totalMs) * 100, 100 - MIN_WIDTH_PCT);
      const widthPct = Math.min(Math.max((n.span.durationMs / totalMs) * 100, MIN_WIDTH_PCT), 100 - offsetPct);
      rows.push({ span: n.span, depth, offsetMs, offsetPct, widthPct });
      walk(n.children, depth + 1);
    }
  };
  walk(spanTree(spans), 0);
  return { rows, totalMs };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON safe to embed inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
h2 { font-weight: 600; margin: 12px 0 4px; } .meta { color: var(--vscode-descriptionForeground); margin-bottom: 10px; }
.row { display: grid; grid-template-columns: minmax(220px, 35%) 1fr 80px; align-items: center; cursor: pointer; padding: 1px 0; }
.row:hover { background: var(--vscode-list-hoverBackground); } .row.selected { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
.name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; } .svc { color: var(--vscode-textLink-foreground); }
.track { position: relative; height: 14px; background: var(--vscode-editorWidget-background); }
.bar { position: absolute; top: 2px; height: 10px; border-radius: 2px; background: var(--vscode-charts-blue); }
.bar.error { background: var(--vscode-charts-red); } .dur { text-align: right; color: var(--vscode-descriptionForeground); }
.error-mark { color: var(--vscode-errorForeground); } button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; margin-right: 6px; cursor: pointer; }
#details { margin-top: 14px; border-top: 1px solid var(--vscode-panel-border); padding-top: 8px; } table { border-collapse: collapse; }
td { padding: 1px 12px 1px 0; vertical-align: top; font-family: var(--vscode-editor-font-family); }`;

const SCRIPT = `
const vscode = acquireVsCodeApi();
const spans = JSON.parse(document.getElementById('spans').textContent);
const details = document.getElementById('details');
const text = (tag, value) => { const el = document.createElement(tag); el.textContent = value; return el; };
function select(index) {
  document.querySelectorAll('.row').forEach((r) => r.classList.toggle('selected', r.dataset.index === String(index)));
  const span = spans[index];
  details.replaceChildren(text('h3', span.service + ': ' + span.name));
  const table = document.createElement('table');
  for (const [k, v] of Object.entries(Object.assign({ spanId: span.spanId, kind: span.kind, status: span.status }, span.attributes))) {
    const tr = document.createElement('tr'); tr.append(text('td', k), text('td', typeof v === 'string' ? v : JSON.stringify(v))); table.append(tr);
  }
  const go = text('button', 'Go to ' + span.service + ' in compose file');
  go.onclick = () => vscode.postMessage({ type: 'revealService', service: span.service });
  const logs = text('button', 'Logs of this trace');
  logs.onclick = () => vscode.postMessage({ type: 'logs', spanId: span.spanId });
  details.append(go, logs, table);
}
document.querySelectorAll('.row').forEach((r) => r.addEventListener('click', () => select(Number(r.dataset.index))));
if (spans.length) select(0);`;

/** The whole webview document; every piece of trace data is escaped, the script runs under a nonce CSP. */
export function waterfallHtml(detail: TraceDetail, opts: { nonce: string; cspSource: string }): string {
  const { rows, totalMs } = layoutWaterfall(detail.spans);
  const errors = rows.filter((r) => r.span.status === 'error').length;
  const body = rows
    .map((r, i) => {
      const s = r.span;
      const err = s.status === 'error';
      return `<div class="row" data-index="${i}" title="${escapeHtml(`${s.service}: ${s.name} — ${formatMs(s.durationMs)}`)}">
  <div class="name" style="padding-left:${r.depth * 14}px">${err ? '<span class="error-mark">⚠ </span>' : ''}<span class="svc">${escapeHtml(s.service)}</span> ${escapeHtml(s.name)}</div>
  <div class="track"><div class="bar${err ? ' error' : ''}" style="left:${r.offsetPct.toFixed(3)}%;width:${r.widthPct.toFixed(3)}%"></div></div>
  <div class="dur">${escapeHtml(formatMs(s.durationMs))}</div></div>`;
    })
    .join('\n');
  const csp = `default-src 'none'; style-src ${opts.cspSource} 'unsafe-inline'; script-src 'nonce-${opts.nonce}';`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>Trace</title><style>${STYLE}</style></head>
<body><h2>Trace ${escapeHtml(detail.traceId)}</h2>
<div class="meta">${rows.length} spans · ${escapeHtml(formatMs(totalMs))}${errors ? ` · <span class="error-mark">${errors} error${errors > 1 ? 's' : ''}</span>` : ''}</div>
<div id="waterfall">${body}</div><div id="details"></div>
<script type="application/json" id="spans">${scriptJson(rows.map((r) => r.span))}</script>
<script nonce="${opts.nonce}">${SCRIPT}</script></body></html>`;
}

// The dependency-graph webview's script (bundled to dist/graph.js): draws the model as SVG, updates it in place.
/// <reference lib="dom" />
import { layoutGraph, pathOf, NODE_HEIGHT, type Layout } from '../graphLayout';
import { diffGraph, edgeId, nodeTooltip, type GraphEdge, type GraphModel, type GraphNode } from '../graphModel';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';
const svg = document.getElementById('graph') as unknown as SVGSVGElement;
const edgeLayer = document.getElementById('edges') as unknown as SVGGElement;
const nodeLayer = document.getElementById('nodes') as unknown as SVGGElement;
const title = document.getElementById('title') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;
const nodes = new Map<string, SVGGElement>();
const edges = new Map<string, SVGGElement>();
let model: GraphModel | undefined;
let layout: Layout | undefined;

function make<K extends keyof SVGElementTagNameMap>(tag: K, parent: Element, cls?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  if (cls) el.setAttribute('class', cls);
  parent.appendChild(el);
  return el;
}

function part<K extends keyof SVGElementTagNameMap>(g: SVGGElement, tag: K, cls: string): SVGElementTagNameMap[K] {
  return (g.querySelector(`${tag}.${cls}`) as SVGElementTagNameMap[K] | null) ?? make(tag, g, cls);
}

function drawNode(n: GraphNode): void {
  let g = nodes.get(n.name);
  if (!g) {
    g = make('g', nodeLayer);
    g.dataset.name = n.name;
    g.addEventListener('click', () => vscode.postMessage({ type: 'reveal', service: n.name }));
    nodes.set(n.name, g);
  }
  g.setAttribute('class', `node tone-${n.tone}${n.external ? ' external' : ''}`);
  g.dataset.tone = n.tone;
  g.dataset.state = n.state;
  g.dataset.health = n.health;
  // VS Code's own context menu for the webview (package.json › menus › webview/context) reads this.
  g.dataset.vscodeContext = JSON.stringify({ webviewSection: n.external ? 'external' : 'service', service: n.name, preventDefaultContextMenuItems: true });
  const box = layout?.nodes.get(n.name);
  // A CSS transform, so a new layout glides the node to its place (graph.css) instead of making it jump.
  if (box) g.style.transform = `translate(${(box.x - box.width / 2).toFixed(1)}px,${(box.y - box.height / 2).toFixed(1)}px)`;
  const rect = part(g, 'rect', 'frame');
  rect.setAttribute('width', String(box?.width ?? 120));
  rect.setAttribute('height', String(NODE_HEIGHT));
  rect.setAttribute('rx', '6');
  const name = part(g, 'text', 'name');
  name.setAttribute('x', '12');
  name.setAttribute('y', '19');
  name.textContent = n.name;
  const caption = part(g, 'text', 'caption');
  caption.setAttribute('x', '12');
  caption.setAttribute('y', '36');
  caption.textContent = n.external ? 'not in compose' : n.health;
  part(g, 'title', 'tip').textContent = nodeTooltip(n);
}

function drawEdge(e: GraphEdge): void {
  const id = edgeId(e);
  let g = edges.get(id);
  if (!g) {
    g = make('g', edgeLayer);
    g.dataset.from = e.from;
    g.dataset.to = e.to;
    edges.set(id, g);
  }
  const kinds = [e.declared ? 'declared' : '', e.observed ? 'observed' : ''].filter(Boolean).join(' ');
  g.setAttribute('class', `edge ${kinds} verdict-${e.verdict}`);
  g.dataset.verdict = e.verdict;
  const route = layout?.edges.get(id);
  const path = part(g, 'path', 'line');
  if (route) path.setAttribute('d', pathOf(route.points));
  path.setAttribute('marker-end', `url(#arrow-${e.verdict === 'undeclared' ? 'bad' : e.verdict === 'uncalled' ? 'muted' : 'plain'})`);
  const backdrop = part(g, 'rect', 'backdrop'); // the line passes under the label: keep the words readable
  const label = part(g, 'text', 'label');
  if (route) {
    label.setAttribute('x', route.label.x.toFixed(1));
    label.setAttribute('y', (route.label.y + 4).toFixed(1));
  }
  label.textContent = e.label;
  const box = e.label ? label.getBBox() : undefined;
  backdrop.setAttribute('x', String((box?.x ?? 0) - 3));
  backdrop.setAttribute('y', String((box?.y ?? 0) - 1));
  backdrop.setAttribute('width', String(box ? box.width + 6 : 0));
  backdrop.setAttribute('height', String(box ? box.height + 2 : 0));
  part(g, 'title', 'tip').textContent = `${e.from} → ${e.to}: ${e.label || e.verdict}`;
}

function prune(drawn: Map<string, SVGGElement>, keep: Set<string>): void {
  for (const [key, el] of drawn) {
    if (!keep.has(key)) {
      el.remove();
      drawn.delete(key);
    }
  }
}

function show(next: GraphModel): void {
  const diff = diffGraph(model, next);
  model = next;
  if (diff.relayout) {
    layout = layoutGraph(next);
    svg.setAttribute('viewBox', `0 0 ${Math.max(layout.width, 200)} ${Math.max(layout.height, 100)}`);
    svg.style.maxWidth = `${Math.max(layout.width, 200) * 1.1}px`; // readable, never blown up
  }
  prune(nodes, new Set(next.nodes.map((n) => n.name)));
  prune(edges, new Set(next.edges.map(edgeId)));
  next.nodes.forEach(drawNode);
  next.edges.forEach(drawEdge);
  title.textContent = next.project ? `Dependency graph · ${next.project}` : 'Dependency graph';
  const observed = next.edges.filter((e) => e.observed).length;
  status.textContent = next.nodes.length
    ? `${next.nodes.length} services · ${observed} traced call edge${observed === 1 ? '' : 's'} in the last ${Math.round(next.windowS / 60)} min · updated ${new Date().toLocaleTimeString()}`
    : 'No compose project with services yet: open a compose file of this workspace.';
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
}

window.addEventListener('message', (event: MessageEvent<{ type: string; model?: GraphModel; message?: string }>) => {
  if (event.data.type === 'model' && event.data.model) show(event.data.model);
  if (event.data.type === 'problem') status.textContent = event.data.message ?? 'The Dockhand server did not answer.';
});
document.querySelectorAll<HTMLButtonElement>('button[data-command]').forEach((button) =>
  button.addEventListener('click', () => vscode.postMessage({ type: 'command', command: button.dataset.command })),
);
vscode.postMessage({ type: 'ready' });

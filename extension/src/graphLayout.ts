// Positions for the dependency graph from dagre (a layered layout: callers above, what they need below).
import dagre from '@dagrejs/dagre';
import { edgeId, type GraphModel } from './graphModel';

export interface Box { x: number; y: number; width: number; height: number }
export interface Point { x: number; y: number }
export interface Layout { nodes: Map<string, Box>; edges: Map<string, { points: Point[]; label: Point }>; width: number; height: number }

export const NODE_HEIGHT = 46;
const CHAR_WIDTH = 7.5;

export function nodeWidth(name: string, caption: string): number {
  return Math.max(110, Math.ceil(Math.max(name.length, caption.length) * CHAR_WIDTH) + 28);
}

/** One layout per topology; labels get room of their own so they never sit on a node. */
export function layoutGraph(model: Pick<GraphModel, 'nodes' | 'edges'>): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 44, edgesep: 24, marginx: 24, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of model.nodes) g.setNode(n.name, { width: nodeWidth(n.name, n.health), height: NODE_HEIGHT });
  for (const e of model.edges) {
    if (e.from === e.to) continue; // a self-call: drawn as a note on the node, not laid out
    g.setEdge(e.from, e.to, { width: Math.min(e.label.length * 6.5, 260), height: 16, labelpos: 'c' });
  }
  dagre.layout(g);
  const nodes = new Map<string, Box>();
  for (const name of g.nodes()) {
    const n = g.node(name) as { x: number; y: number; width: number; height: number };
    nodes.set(name, { x: n.x, y: n.y, width: n.width, height: n.height });
  }
  const edges = new Map<string, { points: Point[]; label: Point }>();
  for (const e of g.edges()) {
    const data = g.edge(e) as { points?: Point[]; x?: number; y?: number };
    const points = data.points ?? [];
    const middle = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    edges.set(edgeId({ from: e.v, to: e.w }), { points, label: { x: data.x ?? middle.x, y: data.y ?? middle.y } });
  }
  const graph = g.graph() as { width?: number; height?: number };
  return { nodes, edges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/** An SVG path through the points (straight segments; dagre already routes around nodes). */
export function pathOf(points: Point[]): string {
  return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

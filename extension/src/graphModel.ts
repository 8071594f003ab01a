// The dependency graph as dockhand/graph sends it, and the pure steps the view takes on it (unit-tested in node).
import type { Range } from './protocol';

export type Tone = 'ok' | 'warn' | 'bad' | 'off' | 'external';
export type Verdict = 'confirmed' | 'undeclared' | 'uncalled' | 'declared' | 'external';

export interface GraphNode {
  name: string;
  state: string;
  health: string;
  tone: Tone;
  external: boolean;
  traced: boolean;
  dependents: string[];
  exitCode?: number;
  uri?: string;
  range?: Range;
  lastError?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  declared: boolean;
  observed: boolean;
  verdict: Verdict;
  label: string;
  kind?: string;
  condition?: string;
  calls: number;
  errors: number;
  callsPerS: number;
  errorRate: number;
  p95Ms?: number | null;
}

export interface GraphModel { project: string | null; projects: string[]; windowS: number; nodes: GraphNode[]; edges: GraphEdge[] }

export const edgeId = (e: Pick<GraphEdge, 'from' | 'to'>): string => `${e.from}\u2192${e.to}`;

/** What the layout depends on: the node names and edge pairs. Same key, same positions: no new layout. */
export function topologyKey(model: Pick<GraphModel, 'nodes' | 'edges'>): string {
  const nodes = model.nodes.map((n) => n.name).sort();
  const edges = model.edges.map(edgeId).sort();
  return JSON.stringify([nodes, edges]);
}

export interface GraphDiff { added: string[]; removed: string[]; changed: string[]; relayout: boolean }

/** Which nodes and edges (by id) appeared, went or changed look between two models. */
export function diffGraph(before: GraphModel | undefined, after: GraphModel): GraphDiff {
  const items = (m: GraphModel | undefined): Map<string, string> => new Map([
    ...(m?.nodes ?? []).map((n): [string, string] => [`node:${n.name}`, `${n.tone}|${n.health}|${n.state}`]),
    ...(m?.edges ?? []).map((e): [string, string] => [`edge:${edgeId(e)}`, `${e.verdict}|${e.label}`]),
  ]);
  const old = items(before);
  const now = items(after);
  const added = [...now.keys()].filter((k) => !old.has(k));
  const removed = [...old.keys()].filter((k) => !now.has(k));
  const changed = [...now.keys()].filter((k) => old.has(k) && old.get(k) !== now.get(k));
  return { added, removed, changed, relayout: !before || topologyKey(before) !== topologyKey(after) };
}

/** The confirmation text before a restart: who depends on the service, transitively. */
export function blastRadiusMessage(node: Pick<GraphNode, 'name' | 'dependents'>): string {
  const who = node.dependents;
  if (!who.length) return `Restart ${node.name}? No other service depends on it.`;
  const list = who.length > 8 ? `${who.slice(0, 8).join(', ')} and ${who.length - 8} more` : who.join(', ');
  return `Restart ${node.name}? ${who.length} service${who.length > 1 ? 's' : ''} depend${who.length > 1 ? '' : 's'} on it ` +
    `(directly or through others): ${list}. They may fail or wait while it restarts.`;
}

export function nodeTooltip(node: GraphNode): string {
  const lines = [`${node.name}: ${node.external ? 'not a compose service (seen in traces)' : `${node.state}, ${node.health}`}`];
  if (node.exitCode) lines.push(`exit code ${node.exitCode}`);
  if (node.lastError) lines.push(node.lastError.slice(0, 200));
  if (node.dependents.length) lines.push(`needed by: ${node.dependents.join(', ')}`);
  return lines.join('\n');
}

// Unit tests of the dependency graph's pure parts: the model diff, the blast-radius text and the dagre layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layoutGraph, pathOf } from '../../extension/src/graphLayout';
import { blastRadiusMessage, diffGraph, topologyKey, type GraphEdge, type GraphModel, type GraphNode } from '../../extension/src/graphModel';

function node(name: string, overrides: Partial<GraphNode> = {}): GraphNode {
  return { name, state: 'running', health: 'healthy', tone: 'ok', external: false, traced: true, dependents: [], ...overrides };
}

function edge(from: string, to: string, overrides: Partial<GraphEdge> = {}): GraphEdge {
  return { from, to, declared: true, observed: false, verdict: 'declared', label: 'started', calls: 0, errors: 0, callsPerS: 0, errorRate: 0, ...overrides };
}

function shop(overrides: { nodes?: GraphNode[]; edges?: GraphEdge[] } = {}): GraphModel {
  return {
    project: 'shop', projects: ['shop'], windowS: 300,
    nodes: overrides.nodes ?? [node('gateway'), node('parcels'), node('pricing')],
    edges: overrides.edges ?? [edge('gateway', 'parcels'), edge('parcels', 'pricing'), edge('gateway', 'pricing')],
  };
}

test('a recolour is a change, not a new layout', () => {
  const before = shop();
  const after = shop({ nodes: [node('gateway'), node('parcels', { tone: 'bad', health: 'exited', state: 'exited' }), node('pricing')] });
  assert.deepEqual(diffGraph(before, after), { added: [], removed: [], changed: ['node:parcels'], relayout: false });
  assert.equal(topologyKey(before), topologyKey(after));
});

test('a new traced call is an added edge and a new layout; the first model is all new', () => {
  const before = shop();
  const after = shop({ edges: [...before.edges, edge('parcels', 'gateway', { declared: false, observed: true, verdict: 'undeclared' })] });
  const diff = diffGraph(before, after);
  assert.deepEqual(diff.added, ['edge:parcels\u2192gateway']);
  assert.equal(diff.relayout, true);
  assert.equal(diffGraph(undefined, before).added.length, 6);
  assert.equal(diffGraph(undefined, before).relayout, true);
});

test('the restart confirmation names the blast radius', () => {
  assert.equal(blastRadiusMessage({ name: 'gateway', dependents: [] }), 'Restart gateway? No other service depends on it.');
  assert.match(blastRadiusMessage({ name: 'pricing', dependents: ['gateway', 'parcels'] }), /^Restart pricing\? 2 services depend on it .*: gateway, parcels\./);
  assert.match(blastRadiusMessage({ name: 'db', dependents: ['a'] }), /1 service depends on it/);
  const many = Array.from({ length: 11 }, (_, i) => `s${i}`);
  assert.match(blastRadiusMessage({ name: 'db', dependents: many }), /s7 and 3 more\./);
});

test('dagre lays callers above what they need, nodes apart, every edge routed', () => {
  const layout = layoutGraph(shop());
  const y = (name: string): number => layout.nodes.get(name)?.y ?? NaN;
  assert.ok(y('gateway') < y('parcels') && y('parcels') < y('pricing'), JSON.stringify([...layout.nodes]));
  const boxes = [...layout.nodes.values()];
  for (const a of boxes) {
    for (const b of boxes) {
      if (a === b) continue;
      const apart = Math.abs(a.x - b.x) >= (a.width + b.width) / 2 || Math.abs(a.y - b.y) >= (a.height + b.height) / 2;
      assert.ok(apart, `overlap: ${JSON.stringify([a, b])}`);
    }
  }
  assert.equal(layout.edges.size, 3);
  assert.match(pathOf(layout.edges.get('gateway\u2192parcels')?.points ?? []), /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/);
  assert.deepEqual(layoutGraph(shop()).nodes, layout.nodes); // same topology, same positions
});

// Unit tests of the trees' and status bar's presentation logic (extension/src/format.ts, traceFormat.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatMs,
  healthCount,
  orderProjects,
  serviceDescription,
  serviceIcon,
  statusSummary,
} from '../../extension/src/format';
import { formatLogTime, groupLatency, sourceNote, spanTree } from '../../extension/src/traceFormat';
import type { LatencyRow, ServiceInfo, ServicesResult, Span } from '../../extension/src/protocol';

function service(overrides: Partial<ServiceInfo>): ServiceInfo {
  return { name: 'api', state: 'running', health: 'healthy', restarts: 0, image: 'img', replicas: 1, urls: [], dependsOn: [], ...overrides };
}

function stack(services: ServiceInfo[], engine: ServicesResult['engine'] = { state: 'up' }): ServicesResult {
  return { engine, projects: [{ name: 'shop', workingDir: '/src/shop', configFiles: [], services }] };
}

test('a healthy service with a published port reads "healthy · :8080"', () => {
  const s = service({ urls: [{ label: 'http', url: 'http://127.0.0.1:8080/' }] });
  assert.equal(serviceDescription(s), 'healthy · :8080');
  assert.equal(serviceIcon(s).id, 'pass-filled');
});

test('a port shared by the app and its Actuator URL is shown once', () => {
  const urls = [{ label: 'http', url: 'http://127.0.0.1:8080/' }, { label: 'actuator', url: 'http://127.0.0.1:8080/actuator/health' }];
  assert.equal(serviceDescription(service({ urls })), 'healthy · :8080');
});

test('an exited service shows its exit code and an error icon', () => {
  const s = service({ state: 'exited', health: '', exitCode: 137 });
  assert.equal(serviceDescription(s), 'exited (137)');
  assert.equal(serviceIcon(s).id, 'error');
  assert.equal(serviceIcon(service({ state: 'exited', health: '', exitCode: 0 })).id, 'circle-outline');
});

test('an unhealthy running service is not counted as healthy', () => {
  const s = service({ health: 'unhealthy' });
  assert.equal(serviceDescription(s), 'unhealthy');
  assert.equal(serviceIcon(s).id, 'error');
  const count = healthCount(stack([service({}), s, service({ health: 'none' }), service({ state: 'exited', health: '' })]));
  assert.deepEqual(count, { healthy: 2, total: 4 });
});

test('status summary: n/m healthy, problems flagged, Docker down wins', () => {
  assert.deepEqual(statusSummary(stack([service({}), service({})])), { text: '$(pass) 2/2 healthy', problem: false });
  assert.deepEqual(statusSummary(stack([service({}), service({ health: 'starting' })])), { text: '$(warning) 1/2 healthy', problem: true });
  assert.equal(statusSummary(stack([service({})], { state: 'down' })).text, '$(error) Docker down');
  assert.equal(statusSummary(stack([])).problem, false);
  assert.equal(statusSummary(stack([])).text, '$(circle-outline) not running');
});

test('a service without checks counts as healthy while it runs; a stack with no container is "not running"', () => {
  const worker = service({ name: 'worker', health: 'running' });
  assert.equal(serviceDescription(worker), 'running');
  assert.equal(serviceIcon(worker).id, 'circle-filled');
  assert.deepEqual(statusSummary(stack([service({}), worker])), { text: '$(pass) 2/2 healthy', problem: false });
  const declaredOnly = stack([service({ state: 'not running', health: 'not running' })]);
  assert.deepEqual(statusSummary(declaredOnly), { text: '$(circle-outline) not running', problem: false });
  assert.equal(serviceDescription(declaredOnly.projects[0]!.services[0]!), 'not running');
});

test("the status counts the workspace's running projects, or every running project when it has none", () => {
  const result: ServicesResult = {
    engine: { state: 'up' },
    projects: [
      { name: 'mine', workingDir: '/work/shop', configFiles: [], services: [service({}), service({ health: 'unhealthy' })] },
      { name: 'other', workingDir: '/elsewhere', configFiles: [], services: [service({}), service({}), service({})] },
    ],
  };
  assert.equal(statusSummary(result, ['/work/shop']).text, '$(warning) 1/2 healthy');
  assert.equal(statusSummary(result, ['/somewhere/else']).text, '$(warning) 4/5 healthy');
});

test('durations read naturally', () => {
  assert.equal(formatMs(0.25), '0.25 ms');
  assert.equal(formatMs(4.56), '4.6 ms');
  assert.equal(formatMs(245.4), '245 ms');
  assert.equal(formatMs(1530), '1.53 s');
  assert.equal(formatMs(Number.NaN), '–');
});

function row(service: string, operation: string, p95Ms: number, errorRate: number): LatencyRow {
  return { service, operation, p50Ms: p95Ms / 2, p95Ms, p99Ms: p95Ms * 2, count: 10, errorRate, source: 'spans' };
}

test('latency groups by service, slowest (or most failing) first', () => {
  const rows = [row('web', 'GET /', 20, 0.5), row('api', 'GET /orders', 300, 0), row('api', 'GET /health', 2, 0.1)];
  const byP95 = groupLatency(rows, 'p95');
  assert.deepEqual(byP95.map(([s, rs]) => [s, rs.map((r) => r.operation)]), [
    ['api', ['GET /orders', 'GET /health']],
    ['web', ['GET /']],
  ]);
  const byErrors = groupLatency(rows, 'errors');
  assert.deepEqual(byErrors.map(([s, rs]) => [s, rs.map((r) => r.operation)]), [
    ['web', ['GET /']],
    ['api', ['GET /health', 'GET /orders']],
  ]);
});

test('management operations (/actuator, /admin) come after the business ones, however slow they are', () => {
  const rows = [
    row('api', 'GET /actuator/prometheus', 900, 0.9),
    row('api', 'GET /orders', 30, 0),
    row('api', 'POST /admin/chaos', 500, 0),
    row('api', 'GET /orders/{id}', 60, 0.2),
    row('web', 'GET /', 40, 0),
  ];
  assert.deepEqual(groupLatency(rows, 'p95').map(([s, rs]) => [s, rs.map((r) => r.operation)]), [
    ['api', ['GET /orders/{id}', 'GET /orders', 'GET /actuator/prometheus', 'POST /admin/chaos']],
    ['web', ['GET /']],
  ]);
});

function span(spanId: string, parentSpanId: string | undefined, start: string | number, name = spanId): Span {
  return { spanId, parentSpanId, service: 'api', name, kind: 'server', startTimeUnixNano: start, durationMs: 1, status: 'ok', attributes: {} };
}

test('span tree nests children under parents, ordered by start, orphans become roots', () => {
  // Nanosecond timestamps beyond 2^53 differ only in their last digits: they must still order correctly.
  const spans = [
    span('c2', 'root', '1732780800000000002'),
    span('c1', 'root', '1732780800000000001'),
    span('root', undefined, '1732780800000000000'),
    span('orphan', 'missing', '1732780799000000000'),
    span('grandchild', 'c1', '1732780800000000005'),
  ];
  const tree = spanTree(spans);
  assert.deepEqual(tree.map((n) => n.span.spanId), ['orphan', 'root']);
  const root = tree[1];
  assert.ok(root);
  assert.deepEqual(root.children.map((n) => n.span.spanId), ['c1', 'c2']);
  assert.deepEqual(root.children[0]?.children.map((n) => n.span.spanId), ['grandchild']);
});

test("the workspace's own projects come first, then the engine's others by name", () => {
  const project = (name: string, workingDir: string, configFiles: string[] = []) => ({ name, workingDir, configFiles, services: [] });
  const ordered = orderProjects(
    [
      project('zeta', '/elsewhere/zeta'),
      project('alpha', '/elsewhere/alpha'),
      project('shop', '/work/shop-copy', ['file:///work/shop/compose.yaml']),
      project('mine', '/work/shop'),
      project('prefix', '/work/shopping'),
    ],
    ['/work/shop'],
  );
  assert.deepEqual(ordered.map((o) => [o.project.name, o.local]), [
    ['mine', true],
    ['shop', true],
    ['alpha', false],
    ['prefix', false],
    ['zeta', false],
  ]);
});

test('log times read the same whether they come as epoch nanoseconds or ISO text', () => {
  assert.equal(formatLogTime(1795855668354047329), '08:47:48.354');
  assert.equal(formatLogTime('1795855668354047329'), '08:47:48.354');
  assert.equal(formatLogTime('2026-11-28T08:47:48.350Z'), '08:47:48.350');
  assert.equal(formatLogTime('yesterday'), 'yesterday');
});

test('a latency row says where its figures come from, one row per operation', () => {
  const row: LatencyRow = { service: 'api', operation: 'GET /x', p50Ms: 1, p95Ms: 2, p99Ms: 3, count: 40, errorRate: 0, source: 'spans' };
  assert.equal(sourceNote(row), 'source: spans');
  assert.equal(sourceNote({ ...row, sources: ['spans', 'prometheus'], metricsCount: 55 }), 'source: spans (also in Prometheus: 55 requests counted there)');
  assert.equal(sourceNote({ ...row, source: 'prometheus' }), 'source: Prometheus (http_server_requests_seconds)');
});

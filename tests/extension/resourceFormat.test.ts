// Unit tests of the resource figures' presentation (extension/src/resourceFormat.ts) and the Services line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceDescription } from '../../extension/src/format';
import { formatBytes, nextSort, resourceDescription, resourceRows, resourceSummary } from '../../extension/src/resourceFormat';
import type { ProjectInfo, ResourceUse, ServiceInfo } from '../../extension/src/protocol';

const MiB = 1024 * 1024;

function use(overrides: Partial<ResourceUse>): ResourceUse {
  return { cpuPercent: 1, memUsed: MiB, memLimit: 64 * MiB, netRx: 0, netTx: 0, blkRead: 0, blkWrite: 0, ...overrides };
}

function service(name: string, resources?: ResourceUse): ServiceInfo {
  return { name, state: 'running', health: 'healthy', restarts: 0, image: 'img', replicas: 1, urls: [], dependsOn: [], resources };
}

test('bytes read like docker stats: binary units, one decimal', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(20.25 * MiB), '20.3 MiB');
});

test('a running service line ends with its CPU and memory; no figures before the second sample', () => {
  const s = service('api', use({ cpuPercent: 12.345, memUsed: 20 * MiB }));
  assert.equal(serviceDescription(s), 'healthy · 12.3% · 20.0 MiB');
  assert.equal(resourceSummary(use({ cpuPercent: null })), '… · 1.0 MiB');
  assert.equal(serviceDescription(service('api')), 'healthy');
});

test('the Resources line names every figure and the memory share', () => {
  const text = resourceDescription(use({ memUsed: 60 * MiB, netRx: 2048, netTx: 512, blkWrite: 4096 }));
  assert.equal(text, 'CPU 1.0% · mem 60.0 MiB / 64.0 MiB (94%) · net ↓2.0 KiB ↑512 B · blk r 0 B w 4.0 KiB');
});

test('rows sort biggest first by the chosen figure, and by name', () => {
  const projects: ProjectInfo[] = [
    {
      name: 'shop',
      workingDir: '/w',
      configFiles: [],
      services: [
        service('busy', use({ cpuPercent: 90, memUsed: 1 * MiB })),
        service('fat', use({ cpuPercent: 1, memUsed: 50 * MiB, blkRead: 10 })),
        service('chatty', use({ cpuPercent: 5, netRx: 10 * MiB })),
        service('stopped'),
      ],
    },
  ];
  const names = (key: Parameters<typeof resourceRows>[1]): string[] => resourceRows(projects, key).map((r) => r.service.name);
  assert.deepEqual(names('cpu'), ['busy', 'chatty', 'fat']);
  assert.deepEqual(names('memory'), ['fat', 'busy', 'chatty']);
  assert.deepEqual(names('network'), ['chatty', 'busy', 'fat']);
  assert.deepEqual(names('block'), ['fat', 'busy', 'chatty']);
  assert.deepEqual(names('name'), ['busy', 'chatty', 'fat']);
  assert.equal(nextSort('name'), 'cpu');
});

// Unit tests of which settings reach the server and how (extension/src/settings.ts), against the real manifest.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configurationUpdate, explicitOptions, onConfigurationChange, serverOptionKeys } from '../../extension/src/settings';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'extension', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown }> } };
};
const properties = manifest.contributes.configuration.properties;

test('every dockhand.* setting except the client-only ones is a server option', () => {
  const keys = serverOptionKeys(properties);
  assert.ok(keys.includes('codeLens'));
  assert.ok(keys.includes('traceProvider'));
  assert.ok(keys.includes('otlpPort'));
  assert.ok(!keys.some((k) => k.startsWith('server.') || k.startsWith('trace.')));
  assert.equal(keys.length, Object.keys(properties).length - 3); // server.python, server.importStrategy, trace.server
});

test('only values a person set are sent, the most specific scope winning', () => {
  const inspected: Record<string, object> = {
    codeLens: { defaultValue: true, globalValue: false },
    otlpPort: { defaultValue: 4318, globalValue: 5000, workspaceValue: 4319 },
    logLevel: { defaultValue: 'INFO' },
  };
  assert.deepEqual(explicitOptions(['codeLens', 'otlpPort', 'logLevel'], (k) => inspected[k]), { codeLens: false, otlpPort: 4319 });
});

test('unsetting a value sends its default so the server forgets the old one', () => {
  const update = configurationUpdate({ codeLens: false, otlpPort: 4319 }, { otlpPort: 4320 }, (key) => properties[`dockhand.${key}`]?.default);
  assert.deepEqual(update, { otlpPort: 4320, codeLens: true });
});

test('a change of the Docker context or of the server setup restarts the server; other changes are sent', () => {
  const changed = (...sections: string[]) => (section: string) =>
    sections.some((s) => s === section || s.startsWith(`${section}.`));
  // VS Code's affectsConfiguration is true for the changed key and each of its parent sections.
  assert.equal(onConfigurationChange(changed('dockhand.dockerContext')), 'restart');
  assert.equal(onConfigurationChange(changed('dockhand.server.python')), 'restart');
  assert.equal(onConfigurationChange(changed('dockhand.codeLens')), 'send');
  assert.equal(onConfigurationChange(changed('editor.fontSize')), undefined);
});

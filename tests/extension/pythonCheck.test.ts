// Unit tests of the interpreter check (extension/src/pythonCheck.ts), including the probe run by real Pythons.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { judgeProbe, noUsablePython, PROBE_SCRIPT, probeScript, type ProbeRun } from '../../extension/src/pythonCheck';

function probe(python: string): ProbeRun {
  const r = spawnSync(python, ['-c', PROBE_SCRIPT], { cwd: tmpdir(), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', spawnError: (r.error as NodeJS.ErrnoException | undefined)?.code };
}

test('the project interpreter passes: Python ≥ 3.11 with dockhand importable', (t) => {
  const python = process.env.DOCKHAND_TEST_PYTHON;
  if (!python) return t.skip('run through pytest (tests/extension/test_extension_units.py), which names the venv Python');
  const verdict = judgeProbe(python, probe(python));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
});

test('a missing interpreter names the setting to fix', () => {
  const verdict = judgeProbe('/nonexistent/python9', probe('/nonexistent/python9'));
  assert.equal(verdict.ok, false);
  if (!verdict.ok) {
    assert.match(verdict.message, /Cannot run the Python interpreter "\/nonexistent\/python9" \(ENOENT\)/);
    assert.match(verdict.fix, /dockhand\.server\.python/);
  }
});

test('an interpreter without dockhand is told how to install it', () => {
  // The system Python outside the venv, with site-packages off: `dockhand` cannot be imported there.
  const r = spawnSync('python3', ['-S', '-c', PROBE_SCRIPT], { cwd: tmpdir(), encoding: 'utf8' });
  const verdict = judgeProbe('python3', { code: r.status, stdout: r.stdout, stderr: r.stderr });
  assert.equal(verdict.ok, false);
  if (!verdict.ok) {
    assert.match(verdict.message, /The dockhand package is not importable from .*ModuleNotFoundError/);
    assert.match(verdict.fix, /-m pip install -e/);
  }
});

test('an old Python is refused with the version it has', () => {
  const stdout = JSON.stringify({ version: [3, 9, 2], executable: '/usr/bin/python3.9', dockhand: '0.1.0' });
  const verdict = judgeProbe('python3.9', { code: 0, stdout, stderr: '' });
  assert.deepEqual(verdict.ok ? undefined : verdict.message, 'Python 3.9.2 at /usr/bin/python3.9 is too old: Dockhand needs Python ≥ 3.11.');
});

test('something that is not Python says what it printed', () => {
  const verdict = judgeProbe('/bin/false', { code: 1, stdout: '', stderr: 'boom\nSyntaxError: invalid syntax' });
  assert.equal(verdict.ok ? '' : verdict.message, '"/bin/false" is not a working Python interpreter (SyntaxError: invalid syntax).');
});

test('no interpreter on the PATH: one message naming what was tried, and the fix', () => {
  const tried = ['python3', 'python3.13'].map((python) => ({ python, verdict: judgeProbe(python, { code: null, stdout: '', stderr: '', spawnError: 'ENOENT' }) }));
  const { message, fix } = noUsablePython(tried);
  assert.equal(message, 'Dockhand needs Python 3.11 or newer to run its server, and none was found (tried python3, python3.13).');
  assert.match(fix, /Install Python 3\.11 or newer .*"dockhand\.server\.python"/);
});

test('an old python3 on the PATH is named rather than the names that are missing', () => {
  const old = judgeProbe('python3', { code: 0, stdout: JSON.stringify({ version: [3, 9, 2], executable: '/usr/bin/python3.9' }), stderr: '' });
  const missing = judgeProbe('python3.13', { code: null, stdout: '', stderr: '', spawnError: 'ENOENT' });
  const { message } = noUsablePython([{ python: 'python3.13', verdict: missing }, { python: 'python3', verdict: old }]);
  assert.equal(message, 'Python 3.9.2 at /usr/bin/python3.9 is too old: Dockhand needs Python ≥ 3.11.');
});

test('a bundle that does not import says to reinstall the extension', () => {
  const libs = '/nonexistent/bundled/libs';
  const r = spawnSync('python3', ['-I', '-S', '-c', probeScript({ kind: 'bundled', libs })], { cwd: tmpdir(), encoding: 'utf8' });
  const verdict = judgeProbe('python3', { code: r.status, stdout: r.stdout, stderr: r.stderr }, { kind: 'bundled', libs });
  assert.equal(verdict.ok, false);
  if (!verdict.ok) {
    assert.match(verdict.message, /The Dockhand server bundled with the extension does not import under .*ModuleNotFoundError/);
    assert.match(verdict.fix, /Reinstall the Dockhand extension/);
  }
});

// Unit tests of how server stderr reaches the log channel (extension/src/serverLog.ts).
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { pipeLines, stderrLine } from '../../extension/src/serverLog';

test('structured records go to debug (the same record also arrives through window/logMessage)', () => {
  const line = JSON.stringify({ ts: 't', level: 'INFO', logger: 'dockhand.lifecycle', msg: 'Dockhand 0.1.0 ready' });
  assert.deepEqual(stderrLine(line), { level: 'debug', text: '[dockhand.lifecycle] Dockhand 0.1.0 ready' });
});

test('error records stay errors and keep their traceback', () => {
  const line = JSON.stringify({ level: 'ERROR', logger: 'dockhand.server', msg: 'task failed', exc: 'Traceback…' });
  assert.deepEqual(stderrLine(line), { level: 'error', text: '[dockhand.server] task failed\nTraceback…' });
});

test('anything unstructured (a crash before LSP starts) is an error, verbatim', () => {
  assert.deepEqual(stderrLine('ModuleNotFoundError: No module named pygls'), { level: 'error', text: 'ModuleNotFoundError: No module named pygls' });
  assert.equal(stderrLine('[1, 2]').level, 'error');
});

test('lines are split across chunks and routed by level', async () => {
  const seen: string[] = [];
  const log = {
    trace: (m: string) => seen.push(`trace ${m}`),
    debug: (m: string) => seen.push(`debug ${m}`),
    info: (m: string) => seen.push(`info ${m}`),
    warn: (m: string) => seen.push(`warn ${m}`),
    error: (m: string) => seen.push(`error ${m}`),
  };
  const input = new PassThrough();
  pipeLines(input, log);
  input.write('{"level": "INFO", "logger": "x", "ms');
  input.write('g": "hello"}\nboom\n');
  input.end();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ['debug [x] hello', 'error boom']);
});

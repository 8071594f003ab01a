// Unit tests of the Traces filter syntax (extension/src/filter.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDurationMs, parseTraceFilter } from '../../extension/src/filter';
import { describeFilter } from '../../extension/src/traceFormat';

test('keys, quoted values and durations', () => {
  assert.deepEqual(parseTraceFilter('service:api op:"GET /orders" min:250ms'), {
    filter: { service: 'api', operation: 'GET /orders', minDurationMs: 250 },
    errors: [],
  });
  assert.deepEqual(parseTraceFilter('s:web min:1.5s').filter, { service: 'web', minDurationMs: 1500 });
});

test('bare words form the operation', () => {
  assert.deepEqual(parseTraceFilter('GET /checkout').filter, { operation: 'GET /checkout' });
});

test('an empty filter is empty', () => {
  assert.deepEqual(parseTraceFilter('   '), { filter: {}, errors: [] });
});

test('mistakes are reported, not silently dropped', () => {
  assert.deepEqual(parseTraceFilter('min:fast').errors, ['"fast" is not a duration (try 250ms or 1.5s)']);
  assert.match(parseTraceFilter('colour:red').errors[0] ?? '', /unknown filter key "colour"/);
  assert.equal(parseDurationMs('12'), 12);
  assert.equal(parseDurationMs('2 s'), 2000);
  assert.equal(parseDurationMs('-3'), undefined);
});

test('describeFilter and parseTraceFilter round-trip', () => {
  const filter = { service: 'api', operation: 'GET /orders/{id}', minDurationMs: 100 };
  assert.deepEqual(parseTraceFilter(describeFilter(filter)).filter, filter);
});

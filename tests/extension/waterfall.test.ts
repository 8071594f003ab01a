// Unit tests of the trace waterfall layout and its HTML (extension/src/waterfall.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Span } from '../../extension/src/protocol';
import { layoutWaterfall, scriptJson, waterfallHtml } from '../../extension/src/waterfall';

const BASE = 1_732_780_800_000_000_000n;
function span(spanId: string, parent: string | undefined, startMs: number, durationMs: number, extra: Partial<Span> = {}): Span {
  const start = (BASE + BigInt(Math.round(startMs * 1e6))).toString();
  return { spanId, parentSpanId: parent, service: 'api', name: spanId, kind: 'server', startTimeUnixNano: start, durationMs, status: 'ok', attributes: {}, ...extra };
}

test('rows follow the tree with offsets and widths relative to the whole trace', () => {
  const { rows, totalMs } = layoutWaterfall([span('db', 'root', 50, 25), span('root', undefined, 0, 100), span('cache', 'root', 10, 5)]);
  assert.equal(totalMs, 100);
  assert.deepEqual(rows.map((r) => [r.span.spanId, r.depth, r.offsetPct, r.widthPct]), [
    ['root', 0, 0, 100],
    ['cache', 1, 10, 5],
    ['db', 1, 50, 25],
  ]);
});

test('a zero-length span stays visible and never overflows the axis', () => {
  const { rows } = layoutWaterfall([span('root', undefined, 0, 10), span('end', 'root', 10, 0)]);
  const end = rows[1];
  assert.ok(end && end.widthPct > 0 && end.offsetPct + end.widthPct <= 100);
});

test('an empty trace lays out nothing', () => {
  assert.deepEqual(layoutWaterfall([]), { rows: [], totalMs: 0 });
});

test('span data cannot inject markup or script into the webview', () => {
  const evil = span('x', undefined, 0, 1, { name: '<img src=x onerror=alert(1)>', service: '"><script>bad()</script>', status: 'error' });
  const html = waterfallHtml({ traceId: 't<1>', spans: [evil] }, { nonce: 'N0NCE', cspSource: 'vscode-resource:' });
  assert.ok(!html.includes('<img src=x'), 'the span name is escaped');
  assert.ok(!html.includes('<script>bad()'), 'the service name is escaped');
  assert.match(html, /script-src 'nonce-N0NCE'/);
  assert.match(html, /class="bar error"/);
  assert.match(html, /1 error/);
  assert.equal(scriptJson('</script><script>'), '"\\u003c/script>\\u003cscript>"');
});

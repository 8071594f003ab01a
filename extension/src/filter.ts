// Parse the Traces filter box: `service:api op:"GET /orders" min:250ms` (pure, unit-tested in node).
import type { TraceFilter } from './protocol';

export interface ParsedFilter { filter: TraceFilter; errors: string[] }

const TOKEN = /(\w+):(?:"([^"]*)"|(\S+))|"([^"]*)"|(\S+)/g;

/** Milliseconds from `250`, `250ms`, `1.5s`; undefined when it is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(text.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  return m[2]?.toLowerCase() === 's' ? value * 1000 : value;
}

/** Keys: service (s), op / operation (o), min / minDuration; bare words form the operation. */
export function parseTraceFilter(text: string): ParsedFilter {
  const filter: TraceFilter = {};
  const errors: string[] = [];
  const bare: string[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const [, key, quoted, plain, bareQuoted, word] = m;
    if (key === undefined) {
      bare.push(bareQuoted ?? word ?? '');
      continue;
    }
    const value = quoted ?? plain ?? '';
    switch (key.toLowerCase()) {
      case 's':
      case 'service':
        filter.service = value;
        break;
      case 'o':
      case 'op':
      case 'operation':
        filter.operation = value;
        break;
      case 'min':
      case 'minduration': {
        const ms = parseDurationMs(value);
        if (ms === undefined) errors.push(`"${value}" is not a duration (try 250ms or 1.5s)`);
        else filter.minDurationMs = ms;
        break;
      }
      default:
        errors.push(`unknown filter key "${key}" (use service:, op:, min:)`);
    }
  }
  if (bare.length && filter.operation === undefined) filter.operation = bare.join(' ');
  return { filter, errors };
}

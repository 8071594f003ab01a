// How a line the server writes on stderr is shown in the Dockhand log channel (pure, unit-tested in node).
import { createInterface } from 'node:readline';

export interface LevelledLog { trace(m: string): void; debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void }

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * The server writes JSON log records on stderr and, once initialized, mirrors the same records through
 * window/logMessage. Structured records therefore go to `debug` (visible when the channel's level is lowered)
 * unless they are errors; anything else on stderr (a traceback, a crash before LSP starts) is an error.
 */
export function stderrLine(line: string): { level: LogLevel; text: string } {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { level: 'error', text: line };
  }
  if (typeof record !== 'object' || record === null || !('msg' in record)) return { level: 'error', text: line };
  const { level, logger, msg, exc } = record as { level?: string; logger?: string; msg?: unknown; exc?: unknown };
  const text = `[${logger ?? 'server'}] ${String(msg)}${typeof exc === 'string' ? `\n${exc}` : ''}`;
  return { level: level === 'ERROR' || level === 'CRITICAL' ? 'error' : 'debug', text };
}

export function pipeLines(input: NodeJS.ReadableStream, log: LevelledLog): void {
  createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', (line) => {
    const { level, text } = stderrLine(line);
    log[level](text);
  });
}

// The vscode-languageclient instance for `python -m dockhand`: which documents, which log, which process.
import type * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn } from 'vscode-languageclient/node';
import type { ServerCommand } from './python';
import { pipeLines } from './serverLog';

/** Compose files the server serves, whether VS Code calls them `dockercompose` or plain `yaml`. */
export const COMPOSE_SELECTOR = [
  { scheme: 'file', language: 'dockercompose' },
  { scheme: 'file', language: 'yaml', pattern: '**/{compose,docker-compose}*.{yml,yaml}' },
];

export function createLanguageClient(
  server: Pick<ServerCommand, 'command' | 'args' | 'cwd'>,
  log: vscode.LogOutputChannel,
  initializationOptions: Record<string, unknown>,
  onFirstDiagnostics: () => void = () => undefined,
): LanguageClient {
  let diagnosed = false;
  return new LanguageClient(
    'dockhand', // also names the `dockhand.trace.server` setting the client reads
    'Dockhand',
    { command: server.command, args: server.args, options: { cwd: server.cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } } },
    {
      documentSelector: COMPOSE_SELECTOR,
      outputChannel: log, // one channel for the server's output and the LSP trace
      traceOutputChannel: log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      stdioOptions: { stdout: () => undefined, stderr: (input) => pipeLines(input, log) },
      initializationOptions,
      middleware: {
        handleDiagnostics: (uri, diagnostics, next) => {
          if (!diagnosed && diagnostics.length > 0) {
            diagnosed = true; // once per server start: bench/install_bench.py reads this line
            onFirstDiagnostics();
          }
          next(uri, diagnostics);
        },
      },
    },
  );
}

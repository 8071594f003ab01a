// The vscode-languageclient instance for `python -m dockhand`: which documents, which log, which process.
import type * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn } from 'vscode-languageclient/node';
import { pipeLines } from './serverLog';

/** Compose files the server serves, whether VS Code calls them `dockercompose` or plain `yaml`. */
export const COMPOSE_SELECTOR = [
  { scheme: 'file', language: 'dockercompose' },
  { scheme: 'file', language: 'yaml', pattern: '**/{compose,docker-compose}*.{yml,yaml}' },
];

export function createLanguageClient(
  python: string,
  neutralCwd: string,
  log: vscode.LogOutputChannel,
  initializationOptions: Record<string, unknown>,
): LanguageClient {
  return new LanguageClient(
    'dockhand', // also names the `dockhand.trace.server` setting the client reads
    'Dockhand',
    // cwd outside the workspace: `python -m` puts the cwd on sys.path and a folder must not shadow dockhand.
    { command: python, args: ['-m', 'dockhand'], options: { cwd: neutralCwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } } },
    {
      documentSelector: COMPOSE_SELECTOR,
      outputChannel: log, // one channel for the server's output and the LSP trace
      traceOutputChannel: log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      stdioOptions: { stdout: () => undefined, stderr: (input) => pipeLines(input, log) },
      initializationOptions,
    },
  );
}

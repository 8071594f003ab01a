// Find the Python interpreter that runs the server and check it (setting → Python extension → python3 on PATH),
// and the command line that starts the server: the copy bundled in the extension, or the interpreter's own.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { judgeProbe, noUsablePython, probeScript, type ProbeRun, type ServerSource, type Verdict } from './pythonCheck';

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] } };
}

/** Where the interpreter came from, for messages. */
export type PythonSource = 'setting' | 'python extension' | 'PATH';

/** Names tried on the PATH when nothing is configured: python3 first, then versioned names (a python3 that is too
 * old often sits beside a newer python3.X). */
const PATH_NAMES = ['python3', 'python3.13', 'python3.12', 'python3.11', 'python'];

export interface ServerCommand { command: string; args: string[]; cwd: string; python: string; version: string; source: PythonSource; bundled: boolean; dockhandVersion: string }

export type Found = { ok: true; server: ServerCommand } | { ok: false; message: string; fix: string };

/** The first interpreter able to run the server, with its command line; or one message with the fix. */
export async function findServer(context: vscode.ExtensionContext): Promise<Found> {
  const config = vscode.workspace.getConfiguration('dockhand');
  const source = serverSource(context, config.get<string>('server.importStrategy', 'useBundled'));
  if (!source.ok) return source;
  const configured = config.get<string>('server.python', '').trim();
  const candidates: [string, PythonSource][] = configured
    ? [[expandHome(configured), 'setting']]
    : [...(await activeInterpreter()).map((p): [string, PythonSource] => [p, 'python extension']), ...PATH_NAMES.map((p): [string, PythonSource] => [p, 'PATH'])];
  const tried: { python: string; verdict: Verdict }[] = [];
  for (const [python, from] of candidates) {
    const verdict = await probePython(python, context.extensionPath, source.value);
    if (verdict.ok) return { ok: true, server: serverCommand(verdict, from, source.value, context) };
    tried.push({ python, verdict });
  }
  if (configured && tried[0] && !tried[0].verdict.ok) return { ok: false, message: tried[0].verdict.message, fix: tried[0].verdict.fix };
  return { ok: false, ...noUsablePython(tried) };
}

function serverSource(context: vscode.ExtensionContext, strategy: string): { ok: true; value: ServerSource } | { ok: false; message: string; fix: string } {
  if (strategy === 'fromEnvironment') return { ok: true, value: { kind: 'environment' } };
  const libs = context.asAbsolutePath(path.join('bundled', 'libs'));
  if (fs.existsSync(path.join(libs, 'dockhand', '__init__.py'))) return { ok: true, value: { kind: 'bundled', libs } };
  return {
    ok: false,
    message: 'This build of the Dockhand extension has no bundled server (bundled/libs is missing).',
    fix: 'Build it with scripts/build-extension, or set "dockhand.server.importStrategy" to "fromEnvironment".',
  };
}

function serverCommand(verdict: Extract<Verdict, { ok: true }>, from: PythonSource, source: ServerSource, context: vscode.ExtensionContext): ServerCommand {
  const common = { command: verdict.python, python: verdict.python, version: verdict.version, source: from, dockhandVersion: verdict.dockhandVersion };
  if (source.kind === 'environment') {
    // cwd outside the workspace: `python -m` puts the cwd on sys.path and a folder must not shadow dockhand.
    return { ...common, args: ['-m', 'dockhand'], cwd: context.extensionPath, bundled: false };
  }
  // -I -S: only the bundle and the standard library are importable (see bundled/tool/dockhand_server.py); -u as
  // PYTHONUNBUFFERED would (-I ignores PYTHON* variables). The
  // bytecode goes to the extension's storage: the extension folder may be read-only, and it is compiled once.
  const pycache = path.join(context.globalStorageUri.fsPath, 'pycache');
  const launcher = context.asAbsolutePath(path.join('bundled', 'tool', 'dockhand_server.py'));
  return { ...common, args: ['-I', '-S', '-u', '-X', `pycache_prefix=${pycache}`, launcher], cwd: context.extensionPath, bundled: true };
}

async function activeInterpreter(): Promise<string[]> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return [];
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const found = api.environments?.getActiveEnvironmentPath(resource)?.path || api.settings?.getExecutionDetails(resource).execCommand?.[0];
    return found ? [found] : [];
  } catch {
    return []; // an unhappy Python extension must not stop Dockhand: fall back to the PATH
  }
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? `${process.env.HOME ?? ''}${p.slice(1)}` : p;
}

/**
 * Run the probe with a neutral working directory: `python -c` puts the cwd on sys.path, and a workspace
 * folder must not be able to shadow the dockhand package. A bundled server is probed as it runs (-I -S).
 */
export function probePython(command: string, cwd: string, source: ServerSource = { kind: 'environment' }): Promise<Verdict> {
  const flags = source.kind === 'bundled' ? ['-I', '-S'] : [];
  return new Promise((resolve) => {
    execFile(command, [...flags, '-c', probeScript(source)], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      const spawnError = error && typeof error.code === 'string' ? error.code : undefined;
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const run: ProbeRun = { code, stdout: String(stdout), stderr: String(stderr), spawnError };
      resolve(judgeProbe(command, run, source));
    });
  });
}

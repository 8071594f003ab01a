// Find the Python interpreter that runs the server and check it (setting → Python extension → python3).
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { judgeProbe, PROBE_SCRIPT, type ProbeRun, type Verdict } from './pythonCheck';

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] } };
}

/** Where the interpreter came from, for messages. */
export interface PythonChoice { command: string; source: 'setting' | 'python extension' | 'default' }

export async function choosePython(): Promise<PythonChoice> {
  const configured = vscode.workspace.getConfiguration('dockhand').get<string>('server.python', '').trim();
  if (configured) return { command: expandHome(configured), source: 'setting' };
  const fromExtension = await activeInterpreter();
  if (fromExtension) return { command: fromExtension, source: 'python extension' };
  return { command: 'python3', source: 'default' };
}

async function activeInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const path = api.environments?.getActiveEnvironmentPath(resource)?.path;
    return path || api.settings?.getExecutionDetails(resource).execCommand?.[0];
  } catch {
    return undefined; // an unhappy Python extension must not stop Dockhand: fall back to python3
  }
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? `${process.env.HOME ?? ''}${path.slice(1)}` : path;
}

/**
 * Run the probe with a neutral working directory: `python -c` puts the cwd on sys.path, and a workspace
 * folder must not be able to shadow the dockhand package.
 */
export function probePython(command: string, cwd: string): Promise<Verdict> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE_SCRIPT], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      const spawnError = error && typeof error.code === 'string' ? error.code : undefined;
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const run: ProbeRun = { code, stdout: String(stdout), stderr: String(stderr), spawnError };
      resolve(judgeProbe(command, run));
    });
  });
}

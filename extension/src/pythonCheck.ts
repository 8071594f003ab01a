// Is this interpreter able to run the Dockhand server? The probe script and the verdict (pure, unit-tested).

export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** Where the server's code comes from: the copy bundled in the extension, or the interpreter's own install. */
export type ServerSource = { kind: 'bundled'; libs: string } | { kind: 'environment' };

/** Runs under any Python (even 2.x, to say it is too old): prints one JSON line. */
export const PROBE_SCRIPT = [
  'import json, sys',
  'info = {"version": list(sys.version_info[:3]), "executable": sys.executable}',
  'try:',
  '    import dockhand',
  '    info["dockhand"] = getattr(dockhand, "__version__", "?")',
  'except Exception as e:',
  '    info["error"] = "%s: %s" % (type(e).__name__, e)',
  'print(json.dumps(info))',
].join('\n');

/** The probe for a source: a bundled server is imported from its libs folder, put first as the launcher does. */
export function probeScript(source: ServerSource): string {
  return source.kind === 'bundled' ? `import sys; sys.path.insert(0, ${JSON.stringify(source.libs)})\n${PROBE_SCRIPT}` : PROBE_SCRIPT;
}

export interface ProbeRun { code: number | null; stdout: string; stderr: string; spawnError?: string }

export type Verdict =
  | { ok: true; python: string; version: string; dockhandVersion: string }
  | { ok: false; message: string; fix: string };

export const SETTING_FIX =
  'Install Python 3.11 or newer (as python3 on the PATH, e.g. "sudo apt install python3" or python.org), ' +
  'or set "dockhand.server.python" to the path of one.';

export function judgeProbe(python: string, run: ProbeRun, source: ServerSource = { kind: 'environment' }): Verdict {
  if (run.spawnError) {
    return { ok: false, message: `Cannot run the Python interpreter "${python}" (${run.spawnError}).`, fix: SETTING_FIX };
  }
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let info: { version?: number[]; executable?: string; dockhand?: string; error?: string };
  try {
    info = JSON.parse(line) as typeof info;
  } catch {
    const detail = (run.stderr.trim() || run.stdout.trim() || `exit code ${run.code}`).split('\n').pop();
    return { ok: false, message: `"${python}" is not a working Python interpreter (${detail}).`, fix: SETTING_FIX };
  }
  const [major = 0, minor = 0, micro = 0] = info.version ?? [];
  const version = `${major}.${minor}.${micro}`;
  const where = info.executable || python;
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    return { ok: false, message: `Python ${version} at ${where} is too old: Dockhand needs Python ≥ 3.11.`, fix: SETTING_FIX };
  }
  if (info.dockhand === undefined && source.kind === 'bundled') {
    return {
      ok: false,
      message: `The Dockhand server bundled with the extension does not import under ${where} (${info.error ?? 'unknown error'}).`,
      fix: 'Reinstall the Dockhand extension, or set "dockhand.server.importStrategy" to "fromEnvironment" and install Dockhand into that Python ("python3 -m pip install dockhand").',
    };
  }
  if (info.dockhand === undefined) {
    return {
      ok: false,
      message: `The dockhand package is not importable from ${where} (${info.error ?? 'unknown error'}).`,
      fix: `Install it there ("${where} -m pip install dockhand", or "-m pip install -e" a clone of Dockhand), or set "dockhand.server.importStrategy" to "useBundled" to run the server the extension brings.`,
    };
  }
  return { ok: true, python: where, version, dockhandVersion: info.dockhand };
}

/**
 * One message for a search over several interpreters that found none able to run the server: the most telling
 * failure (an interpreter that runs but is too old beats "not found"), with the fix.
 */
export function noUsablePython(tried: { python: string; verdict: Verdict }[]): { message: string; fix: string } {
  const failures = tried.flatMap(({ python, verdict }) => (verdict.ok ? [] : [{ python, message: verdict.message, fix: verdict.fix }]));
  const found = failures.find((f) => !/^Cannot run the Python interpreter/.test(f.message));
  if (found) return { message: found.message, fix: found.fix };
  const names = tried.map((t) => t.python).join(', ');
  return { message: `Dockhand needs Python 3.11 or newer to run its server, and none was found (tried ${names}).`, fix: SETTING_FIX };
}

// Is this interpreter able to run the Dockhand server? The probe script and the verdict (pure, unit-tested).

export const MIN_PYTHON: readonly [number, number] = [3, 11];

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

export interface ProbeRun { code: number | null; stdout: string; stderr: string; spawnError?: string }

export type Verdict =
  | { ok: true; python: string; version: string; dockhandVersion: string }
  | { ok: false; message: string; fix: string };

const SETTING_FIX =
  'Set "dockhand.server.python" to a Python ≥ 3.11 that has Dockhand installed — in the Dockhand repository, ' +
  'run scripts/setup and use its .venv/bin/python.';

export function judgeProbe(python: string, run: ProbeRun): Verdict {
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
  if (info.dockhand === undefined) {
    return {
      ok: false,
      message: `The dockhand package is not importable from ${where} (${info.error ?? 'unknown error'}).`,
      fix: `Install it there with "${where} -m pip install -e <path of the Dockhand repository>", or: ${SETTING_FIX}`,
    };
  }
  return { ok: true, python: where, version, dockhandVersion: info.dockhand };
}

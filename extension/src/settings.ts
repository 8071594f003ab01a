// Which dockhand.* settings go to the server, and how (pure, unit-tested in node).

/** Settings the extension itself consumes; everything else under `dockhand.` is a server option. */
const CLIENT_ONLY_PREFIXES = ['server.', 'trace.'];

/** Server option names (`codeLens`, `otlpPort`…) from the contributed configuration properties. */
export function serverOptionKeys(properties: Record<string, unknown>): string[] {
  return Object.keys(properties)
    .filter((k) => k.startsWith('dockhand.'))
    .map((k) => k.slice('dockhand.'.length))
    .filter((k) => !CLIENT_ONLY_PREFIXES.some((p) => k.startsWith(p)));
}

export interface Inspected<T = unknown> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * Only values a person set: defaults stay out so DOCKHAND_* environment variables keep working
 * (initializationOptions win over the environment on the server).
 */
export function explicitOptions(keys: string[], inspect: (key: string) => Inspected | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const i = inspect(key);
    const value = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** What to send on a change: the explicit values, plus defaults for keys a person has just unset. */
export function configurationUpdate(
  previous: Record<string, unknown>,
  current: Record<string, unknown>,
  defaults: (key: string) => unknown,
): Record<string, unknown> {
  const update: Record<string, unknown> = { ...current };
  for (const key of Object.keys(previous)) {
    if (!(key in current)) update[key] = defaults(key);
  }
  return update;
}

/**
 * Settings the server reads once at start: which Python and which copy of the server, and which Docker engine it
 * watches (switching engines live would mix two engines' state), so a change restarts the server.
 */
const RESTART_ON = ['dockhand.server', 'dockhand.dockerContext'];

/** What a configuration change asks for: a server restart, sending the new settings, or nothing. */
export function onConfigurationChange(affects: (section: string) => boolean): 'restart' | 'send' | undefined {
  if (RESTART_ON.some((section) => affects(section))) return 'restart';
  return affects('dockhand') ? 'send' : undefined;
}

import type { LoadResult } from './load.js';

/** A port from `CORRAL_PORT` or `--port`: a whole number 0–65535 (0: any free port), else null. */
export function parsePort(value: string): number | null {
  if (!/^\d{1,5}$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return n <= 65_535 ? n : null;
}

/**
 * Where the bus's port came from, as a user would change it: `--port`, `CORRAL_PORT`
 * (either overrides the file), or `bus.port in FILE`.
 */
export function portSetting(port: number, configPath: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = env.CORRAL_PORT;
  if (given !== undefined && given !== '' && parsePort(given) === port) return env.CORRAL_PORT_FROM === '--port' ? '--port' : 'CORRAL_PORT';
  return `bus.port in ${configPath}`;
}

/**
 * `CORRAL_PORT` (set by `corral up --port N` too) over the file's `bus.port`,
 * at the first load and at every reload, so a reload does not move the bus
 * back to the file's port. A value that is not a port is a config error.
 */
export function withPortOverride<T extends LoadResult>(result: T, env: NodeJS.ProcessEnv = process.env): T | LoadResult {
  const given = env.CORRAL_PORT;
  if (!result.ok || given === undefined || given === '') return result;
  const port = parsePort(given);
  if (port === null) return { ok: false, errors: [{ path: 'bus.port', message: `CORRAL_PORT="${given}" is not a port (a whole number from 0 to 65535)` }] };
  return { ...result, config: { ...result.config, bus: { ...result.config.bus, port } } };
}

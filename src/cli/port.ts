import { parsePort } from '../config/port-override.js';
import { UsageError } from './args.js';

/**
 * `corral up --port N`: the daemon started here (in this process, or the
 * detached one, which inherits the environment) reads it as `CORRAL_PORT`,
 * at start and at every reload (src/config/port-override.ts).
 */
export function applyPortFlag(value: string | boolean | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || parsePort(value) === null) throw new UsageError(`--port ${JSON.stringify(value)}: expected a port (a whole number from 0 to 65535)`);
  process.env.CORRAL_PORT = value.trim();
  // So the daemon's messages name the flag the user typed rather than the variable it became.
  process.env.CORRAL_PORT_FROM = '--port';
}

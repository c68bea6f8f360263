import { readFileSync } from 'node:fs';
import { daemonBaseUrl } from '../daemon/paths.js';

/**
 * Reads only the `state_dir` setting of a config file, without loading the
 * schema: quick commands (`ps`, `logs`, `hook`) must not pay for full validation.
 */
export function readStateDirSetting(configPath: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch {
    return undefined;
  }
  if (configPath.endsWith('.json')) {
    try {
      const v = (JSON.parse(text) as { state_dir?: unknown }).state_dir;
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }
  // A top-level `state_dir: VALUE` line; quotes optional.
  const m = /^state_dir:\s*(?:"([^"]*)"|'([^']*)'|([^#\s][^#]*?))\s*(?:#.*)?$/m.exec(text);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

/**
 * The bus address a config asks for (`bus.host`, `bus.port`, with the
 * schema's defaults), as the daemon's base URL, or null when the file cannot
 * be read. Only `corral hook` spooling for a daemon that is down needs it, so
 * the YAML parser is loaded then and not on every hook.
 */
export async function readBusUrl(configPath: string): Promise<string | null> {
  let config: unknown;
  try {
    const text = readFileSync(configPath, 'utf8');
    config = configPath.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
  } catch {
    return null;
  }
  const bus = config !== null && typeof config === 'object' ? (config as { bus?: unknown }).bus : undefined;
  const { host, port } = (bus !== null && typeof bus === 'object' ? bus : {}) as { host?: unknown; port?: unknown };
  return daemonBaseUrl({
    host: typeof host === 'string' && host !== '' ? host : '127.0.0.1',
    port: typeof port === 'number' && Number.isInteger(port) ? port : 4000,
  });
}

import { readFileSync } from 'node:fs';

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

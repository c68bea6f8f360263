import { loadConfig } from '../config/load.js';
import { withReplicas } from '../config/replicas.js';
import { componentsNamed, SelectionError } from '../supervisor/selection.js';

/**
 * Checks component names against the config file itself, for a command that
 * finds no daemon to ask (`corral down web` with corral not running): the
 * problem to print, or null. An invalid config says so.
 */
export async function checkConfigNames(configPath: string, names: string[]): Promise<string | null> {
  const loaded = withReplicas(await loadConfig(configPath));
  if (!loaded.ok) return `${configPath} is not a valid config (\`corral validate\` shows why)`;
  try {
    componentsNamed(loaded.config.components, names);
    return null;
  } catch (err) {
    if (err instanceof SelectionError) return err.message;
    throw err;
  }
}

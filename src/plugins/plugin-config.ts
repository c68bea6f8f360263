import type { z } from 'zod';
import { ComponentSchema } from '../config/schema.js';

/** The component keys the core owns; every other key of an entry belongs to its plugin. */
export const CORE_COMPONENT_KEYS: ReadonlySet<string> = new Set(Object.keys(ComponentSchema.shape));

/** The plugin's own keys of a component entry (everything that is not a core key). */
export function pluginKeysOf(component: Record<string, unknown>): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(component)) if (!CORE_COMPONENT_KEYS.has(key)) own[key] = value;
  return own;
}

/** One problem with a plugin's keys, with its full path in the config file. */
export interface PluginConfigIssue {
  path: string;
  message: string;
}

/**
 * Checks a component's plugin keys against the plugin's schema. `basePath` is
 * where the entry sits in the file (e.g. `components.router`), so each issue
 * names the full path (`components.router.port`).
 */
export function validatePluginConfig(
  schema: z.ZodType,
  raw: Record<string, unknown>,
  basePath: string,
): { ok: true; value: unknown } | { ok: false; issues: PluginConfigIssue[] } {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => {
      // An unknown key is reported on the object; name the key itself, since that is what the user typed.
      const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
      const segments = [basePath, ...issue.path.map(String)];
      if (keys && keys.length === 1) segments.push(keys[0]!);
      return { path: segments.filter((s) => s !== '').join('.'), message: issue.message };
    }),
  };
}

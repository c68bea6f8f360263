import { readFileSync } from 'node:fs';

/** The routes of claude-code-router's config (`Router` section): route name → "provider,model". */
export type Routes = Record<string, string>;

/** One change of a route's model, the payload of `router.model.switch`. */
export interface ModelSwitch {
  route: string;
  from: string | null;
  to: string | null;
  /** The model the route now uses (the part after the comma), or null when the route was removed. */
  model: string | null;
  provider: string | null;
  reason: 'config_changed' | 'config_created' | 'config_removed';
}

/** Result of reading the config file: its routes, or why it could not be read. */
export type RoutesRead = { ok: true; routes: Routes; port?: number } | { ok: false; missing: boolean; message: string };

/**
 * Reads the `Router` section of claude-code-router's config.json. Only string
 * routes (`default`, `background`, `think`, `longContext`, `webSearch`, ...)
 * are models; numbers such as `longContextThreshold` are settings, not routes.
 */
export function readRoutes(path: string): RoutesRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, missing, message: `${path}: ${(err as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, missing: false, message: `${path}: not valid JSON (${(err as Error).message})` };
  }
  const doc = (parsed ?? {}) as Record<string, unknown>;
  const router = (doc.Router ?? {}) as Record<string, unknown>;
  const routes: Routes = {};
  for (const [key, value] of Object.entries(router)) {
    if (typeof value === 'string' && value.length > 0) routes[key] = value;
  }
  const port = typeof doc.PORT === 'number' ? doc.PORT : typeof doc.PORT === 'string' && /^\d+$/.test(doc.PORT) ? Number(doc.PORT) : undefined;
  return port === undefined ? { ok: true, routes } : { ok: true, routes, port };
}

function splitRoute(value: string | null): { provider: string | null; model: string | null } {
  if (value === null) return { provider: null, model: null };
  const comma = value.indexOf(',');
  return comma === -1 ? { provider: null, model: value } : { provider: value.slice(0, comma), model: value.slice(comma + 1) };
}

/** The route changes between two readings, in a stable order (`default` first). */
export function diffRoutes(before: Routes | null, after: Routes | null): ModelSwitch[] {
  const reason: ModelSwitch['reason'] = before === null ? 'config_created' : after === null ? 'config_removed' : 'config_changed';
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const ordered = [...keys].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
  const switches: ModelSwitch[] = [];
  for (const route of ordered) {
    const from = before?.[route] ?? null;
    const to = after?.[route] ?? null;
    if (from === to) continue;
    const { provider, model } = splitRoute(to);
    switches.push({ route, from, to, model, provider, reason });
  }
  return switches;
}

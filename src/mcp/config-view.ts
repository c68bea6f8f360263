import { createRedactor, MASK } from '../bus/redact.js';
import { loadConfig } from '../config/load.js';
import type { CorralConfig } from '../config/schema.js';

/**
 * Every value of an `env` map replaced by the mask (the names stay: a model
 * may need to know that ANTHROPIC_API_KEY is set, never what it is), then the
 * bus's redaction over the rest (keys such as `token` or `api_key`, strings
 * shaped like keys).
 */
export function maskConfig(value: unknown): unknown {
  const redactor = createRedactor();
  const walk = (v: unknown, key: string | null): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, null));
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (key === 'env' && (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) out[k] = MASK;
      else out[k] = walk(x, k);
    }
    return out;
  };
  return redactor.redactValue(walk(value, null));
}

/** The effective config (defaults filled, durations in ms, sizes in bytes) of a file, masked; or its problems. */
export async function readMaskedConfig(file: string): Promise<{ ok: true; file: string; config: unknown } | { ok: false; file: string; errors: string[] }> {
  const result = await loadConfig(file);
  if (!result.ok) {
    return { ok: false, file, errors: result.errors.map((e) => `${e.path || '(file)'}${e.line ? ` (line ${e.line})` : ''}: ${e.message}`) };
  }
  return { ok: true, file: result.file, config: maskConfig(asWritten(result.config, result.raw)) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The config with each interpolated command, cwd and health probe shown as
 * written (`--token ${API_TOKEN}`): what `${…}` filled in may be a secret,
 * and `env` values are masked anyway (src/config/env.ts does the filling).
 */
function asWritten(config: CorralConfig, raw: unknown): CorralConfig {
  const written = isRecord(raw) && isRecord(raw.components) ? raw.components : {};
  const has = (v: unknown): boolean => (typeof v === 'string' ? v.includes('$') : Array.isArray(v) && v.some(has));
  const components: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(config.components)) {
    const w = written[name];
    if (!isRecord(w)) {
      components[name] = c;
      continue;
    }
    const out: Record<string, unknown> = { ...c };
    for (const key of ['command', 'cwd'] as const) if (has(w[key])) out[key] = w[key];
    if (c.health && isRecord(w.health)) {
      const health: Record<string, unknown> = { ...c.health };
      for (const key of ['http', 'tcp', 'exec'] as const) if (has(w.health[key])) health[key] = w.health[key];
      out.health = health;
    }
    components[name] = out;
  }
  return { ...config, components } as CorralConfig;
}

import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal configs serialise equally whatever the key order in the file. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * sha256 of a normalized (parsed, defaults filled) config: comments,
 * formatting, key order and spelled-out defaults do not change it.
 */
export function hashConfig(config: unknown): string {
  return createHash('sha256').update(stableStringify(config)).digest('hex');
}

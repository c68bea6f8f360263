import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  // PM2 writes `max_memory_restart: 150M`; accept the bare letter so configs carried over from it work.
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i;
const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([kmg]ib|[kmg]b|[kmg]|b)?\s*$/i;

/** Parses `500ms`, `10s`, `5m`, `1h`, `7d` (or a bare number of ms) into milliseconds. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = DURATION_RE.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration (write e.g. 500ms, 10s, 5m, 1h)`);
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]!);
}

/** Parses `512MB`, `64KB`, `1GB` (or a bare number of bytes) into bytes. */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = SIZE_RE.exec(text);
  if (!m) throw new Error(`"${text}" is not a size (write e.g. 512MB, 64KB, 1GB)`);
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

/** A duration in the config: a string such as `10s`, or a number of ms. Parses to ms. */
export const Duration = z
  .union([z.string().regex(DURATION_RE, 'expected a duration such as 500ms, 10s, 5m'), z.number().nonnegative()])
  .transform((v) => parseDuration(v))
  .meta({ description: 'a duration: 500ms, 10s, 5m, 1h, 7d, or a number of milliseconds' });

/** A size in the config: a string such as `512MB`, or a number of bytes. Parses to bytes. */
export const Size = z
  .union([z.string().regex(SIZE_RE, 'expected a size such as 64KB, 512MB, 1GB'), z.number().nonnegative()])
  .transform((v) => parseSize(v))
  .meta({ description: 'a size: 64KB, 512MB (or 512M), 1GB, or a number of bytes' });

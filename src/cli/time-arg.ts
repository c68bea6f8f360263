import { UsageError } from './args.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A point in time given on the command line: Unix ms (`1732790000000`), an
 * ISO date (`2026-11-28T10:00:00Z`, `2026-11-28`), or an age (`90s`, `5m`,
 * `1h`, `2d`) counted back from now. Anything else is a usage error naming the option.
 */
export function parseTimeArg(value: string, option: string, now: number = Date.now()): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const rel = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(v);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(`${option} ${JSON.stringify(value)}: expected Unix ms, an ISO date (2026-11-28T10:00:00Z) or an age such as 30s, 5m, 1h, 2d`);
}

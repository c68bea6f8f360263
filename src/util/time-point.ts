const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A point in time as a user writes it: Unix ms (`1732790000000`), an ISO date
 * (`2026-11-28T10:00:00Z`, `2026-11-28`), or an age (`90s`, `5m`, `1h`, `2d`)
 * counted back from `now`. Null when it is none of these.
 */
export function parseTimePoint(value: string, now: number = Date.now()): number | null {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const rel = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(v);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  return null;
}

/** What `parseTimePoint` accepts, for error messages. */
export const TIME_POINT_FORMS = 'Unix ms, an ISO date (2026-11-28T10:00:00Z) or an age such as 30s, 5m, 1h, 2d';

import { filterTooBig } from '../bus/filter.js';
import { EventFilterSchema, type EventFilter } from '../schema/messages.js';
import { parseTimePoint, TIME_POINT_FORMS } from '../util/time-point.js';

/** Query-string filters of a connection (`?event_type=a.*,b&source=x,y&session_id=&since=&after=`; lists are split by the bus filter). */
export function filterFromQuery(url: URL): { ok: true; filter: EventFilter } | { ok: false; message: string } {
  const raw: Record<string, unknown> = {};
  for (const key of ['event_type', 'source', 'session_id', 'host', 'since', 'until', 'after']) {
    const v = url.searchParams.get(key);
    if (v !== null && v !== '') raw[key] = v;
  }
  const bad = resolveTimePoints(raw);
  if (bad) return { ok: false, message: `${bad.key}: ${bad.message}` };
  const big = filterTooBig(raw);
  if (big) return { ok: false, message: `${big.key}: ${big.message}` };
  const parsed = EventFilterSchema.safeParse(raw);
  if (parsed.success) return { ok: true, filter: parsed.data };
  return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/**
 * `since` and `until` as the CLI takes them, in place: Unix ms, an ISO date or
 * an age (5m) counted back from now; numbers are kept as they are. The first
 * one that is none of these is returned with why; null when both are fine.
 */
export function resolveTimePoints(raw: Record<string, unknown>): { key: 'since' | 'until'; message: string } | null {
  for (const key of ['since', 'until'] as const) {
    const value = raw[key];
    if (typeof value !== 'string') continue;
    const t = parseTimePoint(value);
    if (t === null) return { key, message: `expected ${TIME_POINT_FORMS}, got ${JSON.stringify(value)}` };
    raw[key] = t;
  }
  return null;
}

import { EventFilterSchema, type EventFilter } from '../schema/messages.js';
import { parseTimePoint, TIME_POINT_FORMS } from '../util/time-point.js';

/** Query-string filters of a connection (`?event_type=a.*,b&source=&session_id=&since=&after=`). */
export function filterFromQuery(url: URL): { ok: true; filter: EventFilter } | { ok: false; message: string } {
  const raw: Record<string, string> = {};
  for (const key of ['event_type', 'source', 'session_id', 'since', 'until', 'after']) {
    const v = url.searchParams.get(key);
    if (v !== null && v !== '') raw[key] = v;
  }
  // since/until as the CLI takes them: Unix ms, an ISO date or an age (5m).
  for (const key of ['since', 'until'] as const) {
    if (raw[key] === undefined) continue;
    const t = parseTimePoint(raw[key]);
    if (t === null) return { ok: false, message: `${key}: expected ${TIME_POINT_FORMS}, got ${JSON.stringify(raw[key])}` };
    raw[key] = String(t);
  }
  const parsed = EventFilterSchema.safeParse(raw);
  if (parsed.success) return { ok: true, filter: parsed.data };
  return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

import { EventFilterSchema, type EventFilter } from '../schema/messages.js';

/** Query-string filters of a connection (`?event_type=a.*,b&source=&session_id=&since=&after=`). */
export function filterFromQuery(url: URL): { ok: true; filter: EventFilter } | { ok: false; message: string } {
  const raw: Record<string, string> = {};
  for (const key of ['event_type', 'source', 'session_id', 'since', 'until', 'after']) {
    const v = url.searchParams.get(key);
    if (v !== null && v !== '') raw[key] = v;
  }
  const parsed = EventFilterSchema.safeParse(raw);
  if (parsed.success) return { ok: true, filter: parsed.data };
  return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

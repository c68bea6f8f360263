import type { EventFilter } from '../schema/messages.js';
import { compileFilter } from './filter.js';
import type { BusEntry, QueryOptions, QueryPage } from './types.js';

/** History over the in-memory ring of a bus without a store; same paging as the store's query. */
export function queryMemory(entries: readonly BusEntry[], filter: EventFilter, options: QueryOptions = {}): QueryPage {
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 100)), 10_000);
  const cursor = options.cursor ? Number(options.cursor) : undefined;
  const desc = options.order === 'desc';
  const match = compileFilter(filter);
  const after = filter.after ?? 0;
  const all = entries.filter(
    (e) => e.seq > after && (cursor === undefined || (desc ? e.seq < cursor : e.seq > cursor)) && match(e.event),
  );
  if (!desc) {
    const events = all.slice(0, limit);
    return { events, next_cursor: all.length > limit ? String(events[events.length - 1]!.seq) : null };
  }
  const events = all.slice(-limit);
  return { events, next_cursor: all.length > limit ? String(events[0]!.seq) : null };
}

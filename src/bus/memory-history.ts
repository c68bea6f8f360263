import type { EventFilter } from '../schema/messages.js';
import { compileFilter } from './filter.js';
import { HISTORY_PAGE_BYTES, createPageBuilder, type BusEntry, type QueryOptions, type QueryPage } from './types.js';

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
  const page = createPageBuilder(limit, Math.max(1, options.maxBytes ?? HISTORY_PAGE_BYTES));
  if (desc) {
    for (let i = all.length - 1; i >= 0 && page.take(all[i]!); i--);
    page.events.reverse();
  } else {
    for (let i = 0; i < all.length && page.take(all[i]!); i++);
  }
  const events = page.events;
  if (!page.more) return { events, next_cursor: null };
  return { events, next_cursor: String(desc ? events[0]!.seq : events[events.length - 1]!.seq) };
}

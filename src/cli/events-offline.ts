import { existsSync } from 'node:fs';
import type { CorralEvent } from '../schema/events.js';
import type { EventFilter } from '../schema/messages.js';
import type { QueryOptions } from '../bus/types.js';

/** One page of history, from the daemon (`GET /events`) or from events.db. */
export interface HistoryPage {
  events: CorralEvent[];
  next_cursor: string | null;
}

/** Reads a page of history for a filter: the daemon's HTTP API, or the store file when the daemon is down. */
export type PageSource = (filter: EventFilter, q: Required<Pick<QueryOptions, 'order' | 'limit'>> & { cursor?: string }) => Promise<HistoryPage>;

/**
 * History read straight from a state directory's `events.db`, read-only (the
 * daemon is not running; nothing is written, not even the WAL's index when it
 * can be avoided), with the daemon's own query code (src/bus/store-query.ts),
 * so filters, order and pages are those of `GET /events`. Null when there is no file.
 */
export async function openOfflineHistory(file: string): Promise<{ source: PageSource; close(): void } | null> {
  if (!existsSync(file)) return null;
  const [{ default: Database }, { createStoreReader }] = await Promise.all([import('better-sqlite3'), import('../bus/store-query.js')]);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 2000');
  const reader = createStoreReader(db, () => []);
  return {
    source: async (filter, q) => {
      const page = reader.query(filter, q);
      return { events: page.events.map((e) => e.event), next_cursor: page.next_cursor };
    },
    close: () => db.close(),
  };
}

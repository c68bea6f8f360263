import type Database from 'better-sqlite3';
import type { CorralEvent } from '../schema/events.js';
import type { EventFilter } from '../schema/messages.js';
import { compileFilter } from './filter.js';
import { filterToWhere } from './store-sql.js';
import { FILTER_OPTIONS_MAX, HISTORY_PAGE_BYTES, createPageBuilder, type BusEntry, type EventStore, type QueryOptions, type QueryPage } from './types.js';

// The read side of the event store (store.ts): history pages, bounded by
// count and by bytes, over the committed rows and the entries still queued.

interface Row {
  seq: number;
  json: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^\d+$/.test(cursor)) throw new Error(`invalid cursor ${JSON.stringify(cursor)}: expected the cursor a previous page returned`);
  return Number(cursor);
}

/**
 * A stored row as an entry whose event is parsed when first asked for: a
 * replay page or `GET /events` sends the stored JSON as it is, so a 4 MiB
 * page costs no parse and no second copy of every event in memory.
 */
class StoredEntry implements BusEntry {
  private parsed: CorralEvent | undefined;
  constructor(
    readonly seq: number,
    readonly json: string,
  ) {}
  get event(): CorralEvent {
    return (this.parsed ??= JSON.parse(this.json) as CorralEvent);
  }
}

function toEntry(row: Row): BusEntry {
  return new StoredEntry(row.seq, row.json);
}

/**
 * Queries over `db`; `batches` gives the entries not yet committed (the batch
 * in flight first, which may have committed already), oldest first.
 */
export function createStoreReader(db: Database.Database, batches: () => readonly { entries: BusEntry[] }[]): Pick<EventStore, 'query' | 'filterOptions' | 'hasId' | 'count'> {
  const statements = new Map<string, Database.Statement>();

  function statement(sql: string): Database.Statement {
    let s = statements.get(sql);
    if (!s) {
      if (statements.size > 200) statements.clear();
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  }

  function pendingMatching(filter: EventFilter, bound?: { op: '>' | '<'; seq: number }): BusEntry[] {
    const match = compileFilter(filter);
    const out: BusEntry[] = [];
    for (const batch of batches()) {
      for (const e of batch.entries) {
        if (filter.after !== undefined && e.seq <= filter.after) continue;
        if (bound && (bound.op === '>' ? e.seq <= bound.seq : e.seq >= bound.seq)) continue;
        if (match(e.event)) out.push(e);
      }
    }
    return out;
  }

  function query(filter: EventFilter, options: QueryOptions = {}): QueryPage {
    const limit = Math.min(Math.max(1, Math.floor(options.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
    const page = createPageBuilder(limit, Math.max(1, options.maxBytes ?? HISTORY_PAGE_BYTES));
    const cursor = parseCursor(options.cursor);
    const desc = options.order === 'desc';
    const bound = cursor === undefined ? undefined : { op: desc ? ('<' as const) : ('>' as const), seq: cursor };
    const where = filterToWhere(filter, bound);
    const rows = statement(`SELECT seq, json FROM events ${where.sql} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ?`);
    // Queued entries are newer than every committed one; the batch in flight may
    // have committed already, so rows the database has for them are skipped.
    const pending = pendingMatching(filter, bound);
    const queuedSeqs = new Set(pending.map((e) => e.seq));
    // Rows are read one at a time and reading stops when the page is full: a
    // page never holds more than its bound, however big the rows.
    const fromDb = (): boolean => {
      for (const row of rows.iterate(...where.params, limit + 1) as IterableIterator<Row>) {
        if (!queuedSeqs.has(row.seq) && !page.take(toEntry(row))) return false;
      }
      return true;
    };
    const fromQueue = (list: BusEntry[]): boolean => list.every((e) => page.take(e));
    if (desc) {
      if (fromQueue(pending.reverse())) fromDb();
    } else if (fromDb()) fromQueue(pending);
    const events = page.events;
    if (desc) events.reverse();
    if (!page.more) return { events, next_cursor: null };
    return { events, next_cursor: String(desc ? events[0]!.seq : events[events.length - 1]!.seq) };
  }

  function filterOptions(): ReturnType<EventStore['filterOptions']> {
    // Every event, in the dashboard's shape (compatJson): source_app else source, hook_event_type else event_type.
    const distinct = (expr: string) =>
      (statement(`SELECT DISTINCT ${expr} AS v FROM events WHERE v IS NOT NULL AND v != '' ORDER BY v LIMIT ${FILTER_OPTIONS_MAX}`).all() as { v: string }[]).map((r) => r.v);
    return { source_apps: distinct('COALESCE(source_app, source)'), session_ids: distinct('session_id'), hook_event_types: distinct('COALESCE(hook_event_type, event_type)') };
  }

  // Committed rows only: a caller that also needs the queued ones keeps its own recent ids (a scan of the queue per call would cost its length).
  function hasId(id: string): boolean {
    return statement('SELECT 1 FROM events WHERE id = ?').get(id) !== undefined;
  }

  function count(filter: EventFilter): number {
    const pending = pendingMatching(filter);
    const queuedSeqs = pending.map((e) => e.seq);
    const where = filterToWhere(filter);
    const committed = (statement(`SELECT COUNT(*) AS n FROM events ${where.sql}`).get(...where.params) as { n: number }).n;
    // The batch in flight may have committed already: its rows are counted once.
    if (queuedSeqs.length === 0) return committed;
    const dup = (statement('SELECT COUNT(*) AS n FROM events WHERE seq IN (SELECT value FROM json_each(?))').get(JSON.stringify(queuedSeqs)) as { n: number }).n;
    return committed + pending.length - dup;
  }

  return { query, filterOptions, hasId, count };
}

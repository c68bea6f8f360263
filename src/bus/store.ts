import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { EventFilter } from '../schema/messages.js';
import type { CorralEvent } from '../schema/events.js';
import { compileFilter } from './filter.js';
import { SCHEMA_SQL, filterToWhere } from './store-sql.js';
import type { BusEntry, EventStore, QueryOptions, QueryPage } from './types.js';

/** Options of the SQLite event store. */
export interface EventStoreOptions {
  /** The database file (created with its directory when missing). */
  file: string;
  /** Retention: keep at most `events` events, none older than `age` ms. Defaults: 100k events, 7 days. */
  retention?: { events: number; age: number };
  /** Wait this long to gather a batch (0, the default, writes on the next turn of the event loop). */
  batchMs?: number;
  /** Most events in one transaction (default 2000); a bigger queue is written in several. */
  maxBatch?: number;
  /** How often retention runs, ms (default 60 s; it also runs at open and after heavy writing). */
  pruneIntervalMs?: number;
  /** Clock for retention by age (tests). */
  now?: () => number;
  /** Told about a batch that could not be written (its append promises reject too). */
  onError?: (err: Error) => void;
}

interface Batch {
  entries: BusEntry[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Row {
  seq: number;
  json: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers may drop the promise; a failed write is also reported through onError.
  promise.catch(() => {});
  return { entries: [], promise, resolve, reject };
}

function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^\d+$/.test(cursor)) throw new Error(`invalid cursor ${JSON.stringify(cursor)}: expected the cursor a previous page returned`);
  return Number(cursor);
}

function toEntry(row: Row): BusEntry {
  return { seq: row.seq, event: JSON.parse(row.json) as CorralEvent, json: row.json };
}

/**
 * Opens (or creates) the event store. Appends are queued and written in one
 * transaction per batch off the publish path; every append's promise settles
 * when its batch has committed (group commit), so "resolved" means "on disk"
 * (WAL with synchronous=NORMAL survives a killed process, not a power cut).
 */
export function createEventStore(opts: EventStoreOptions): EventStore {
  mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA_SQL);

  const retention = opts.retention ?? { events: 100_000, age: 7 * 86_400_000 };
  const batchMs = opts.batchMs ?? 0;
  const maxBatch = Math.max(1, opts.maxBatch ?? 2000);
  const now = opts.now ?? Date.now;

  const insert = db.prepare(
    'INSERT OR REPLACE INTO events (seq, id, timestamp, event_type, source, session_id, source_app, hook_event_type, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const setLast = db.prepare(
    "INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE excluded.value > meta.value",
  );
  const writeEntries = db.transaction((entries: BusEntry[]) => {
    let last = 0;
    for (const { seq, event, json } of entries) {
      insert.run(seq, event.id, event.timestamp, event.event_type, event.source, event.session_id, event.source_app ?? null, event.hook_event_type ?? null, json);
      if (seq > last) last = seq;
    }
    setLast.run(last);
  });
  const pruneByCount = db.prepare('DELETE FROM events WHERE seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?)');
  const pruneByAge = db.prepare('DELETE FROM events WHERE timestamp < ?');

  const metaLast = (db.prepare("SELECT value FROM meta WHERE key = 'last_seq'").get() as { value: number } | undefined)?.value ?? 0;
  const rowLast = (db.prepare('SELECT MAX(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
  // The meta row keeps the cursor rising even after retention emptied the table.
  let last = Math.max(metaLast, rowLast);

  const queue: Batch[] = [];
  let queued = 0;
  let scheduled = false;
  let closed = false;
  let writtenSincePrune = 0;
  const pruneEvery = Math.max(1000, Math.floor(retention.events / 10));
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

  function writeOne(): void {
    const batch = queue.shift();
    if (!batch) return;
    queued -= batch.entries.length;
    try {
      writeEntries(batch.entries);
      batch.resolve();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      opts.onError?.(e);
      batch.reject(e);
      return;
    }
    writtenSincePrune += batch.entries.length;
    if (writtenSincePrune >= pruneEvery) prune();
  }

  function run(): void {
    scheduled = false;
    if (closed) return;
    writeOne();
    // One transaction per turn, so a big backlog does not hold the event loop.
    if (queue.length > 0) {
      scheduled = true;
      setImmediate(run);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    if (batchMs > 0) setTimeout(run, batchMs);
    else setImmediate(run);
  }

  function prune(): number {
    writtenSincePrune = 0;
    const byCount = pruneByCount.run(retention.events).changes;
    const byAge = pruneByAge.run(now() - retention.age).changes;
    return byCount + byAge;
  }

  function pendingMatching(filter: EventFilter, bound?: { op: '>' | '<'; seq: number }): BusEntry[] {
    if (queued === 0) return [];
    const match = compileFilter(filter);
    const out: BusEntry[] = [];
    for (const batch of queue) {
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
    const cursor = parseCursor(options.cursor);
    const desc = options.order === 'desc';
    const bound = cursor === undefined ? undefined : { op: desc ? ('<' as const) : ('>' as const), seq: cursor };
    const where = filterToWhere(filter, bound);
    // Queued entries are all newer than every committed one.
    const pending = pendingMatching(filter, bound);
    let events: BusEntry[];
    if (!desc) {
      const rows = statement(`SELECT seq, json FROM events ${where.sql} ORDER BY seq ASC LIMIT ?`).all(...where.params, limit + 1) as Row[];
      events = rows.map(toEntry);
      if (events.length <= limit) events.push(...pending.slice(0, limit + 1 - events.length));
      if (events.length > limit) {
        events.length = limit;
        return { events, next_cursor: String(events[events.length - 1]!.seq) };
      }
      return { events, next_cursor: null };
    }
    const newest = pending.slice(-(limit + 1));
    const want = limit + 1 - newest.length;
    const rows = want > 0 ? (statement(`SELECT seq, json FROM events ${where.sql} ORDER BY seq DESC LIMIT ?`).all(...where.params, want) as Row[]) : [];
    events = rows.reverse().map(toEntry).concat(newest);
    if (events.length > limit) {
      events = events.slice(events.length - limit);
      return { events, next_cursor: String(events[0]!.seq) };
    }
    return { events, next_cursor: null };
  }

  prune();
  const pruneTimer = setInterval(() => {
    if (!closed) prune();
  }, opts.pruneIntervalMs ?? 60_000);
  pruneTimer.unref();

  return {
    append(entry: BusEntry): Promise<void> {
      if (closed) return Promise.reject(new Error('event store is closed'));
      let batch = queue[queue.length - 1];
      if (!batch || batch.entries.length >= maxBatch) {
        batch = newBatch();
        queue.push(batch);
      }
      batch.entries.push(entry);
      queued++;
      if (entry.seq > last) last = entry.seq;
      schedule();
      return batch.promise;
    },
    query,
    lastSeq: () => last,
    filterOptions() {
      const distinct = (col: string) =>
        (statement(`SELECT DISTINCT ${col} AS v FROM events WHERE ${col} IS NOT NULL AND ${col} != '' ORDER BY ${col} LIMIT 1000`).all() as { v: string }[]).map((r) => r.v);
      return { source_apps: distinct('source_app'), session_ids: distinct('session_id'), hook_event_types: distinct('hook_event_type') };
    },
    pending: () => queued,
    flush(): Promise<void> {
      const waits = queue.map((b) => b.promise);
      while (queue.length > 0 && !closed) writeOne();
      return Promise.all(waits).then(() => undefined);
    },
    prune,
    close(): void {
      if (closed) return;
      while (queue.length > 0) writeOne();
      closed = true;
      clearInterval(pruneTimer);
      db.close();
    },
  };
}

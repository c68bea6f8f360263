import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_SQL, ensureHostColumn, ensureUniqueIds } from './store-sql.js';
import { createStoreReader } from './store-query.js';
import { PRUNE_AGE_SQL, PRUNE_COUNT_SQL, createLazyWorkerWriter, createSyncWriter, createWorkerWriter, toRows, type PruneRequest } from './store-writer.js';
import type { BusEntry, EventStore } from './types.js';

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
  /**
   * Write in a worker thread, so SQLite costs the publishing thread almost
   * nothing: `true` always, `false` never, `'auto'` (the default) once the
   * load calls for it (big batches, slow writes, retention), so a quiet
   * daemon does not pay the thread's ~6-10 MB of RSS.
   */
  worker?: boolean | 'auto';
}

interface Batch {
  entries: BusEntry[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

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

/** The batch a new entry joins: the last queued one, or a new one when it is full (or none is queued). */
function tailBatch(queue: Batch[], maxBatch: number): Batch {
  let batch = queue[queue.length - 1];
  if (!batch || batch.entries.length >= maxBatch) {
    batch = newBatch();
    queue.push(batch);
  }
  return batch;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Creates the database file (and its directory) when missing, and its schema. */
function openDatabase(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA_SQL);
  ensureUniqueIds(db);
  ensureHostColumn(db);
  return db;
}

/** The highest seq ever stored. */
function readLastSeq(db: Database.Database): number {
  const metaLast = (db.prepare("SELECT value FROM meta WHERE key = 'last_seq'").get() as { value: number } | undefined)?.value ?? 0;
  const rowLast = (db.prepare('SELECT MAX(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
  // The meta row keeps the cursor rising even after retention emptied the table.
  return Math.max(metaLast, rowLast);
}

/** Retention of the store: the limits, and when a pass is due. */
interface Retention {
  set(next: { events: number; age: number }): void;
  /** Runs a pass here, on this thread; returns the events deleted. */
  prune(): number;
  /** Counts events committed since the last pass. */
  written(count: number): void;
  /** Makes a pass due: the next batch carries it to the writer. */
  markDue(): void;
  /** The pass the next batch carries, when one is due (after heavy writing). */
  takeRequest(): PruneRequest | undefined;
}

function createRetention(db: Database.Database, initial: { events: number; age: number }, now: () => number): Retention {
  let retention = initial;
  const pruneByCount = db.prepare(PRUNE_COUNT_SQL);
  const pruneByAge = db.prepare(PRUNE_AGE_SQL);
  let writtenSincePrune = 0;
  let pruneEvery = Math.max(1000, Math.floor(retention.events / 10));
  return {
    set(next) {
      retention = { ...next };
      pruneEvery = Math.max(1000, Math.floor(retention.events / 10));
    },
    prune() {
      writtenSincePrune = 0;
      const byCount = pruneByCount.run(retention.events).changes;
      const byAge = pruneByAge.run(now() - retention.age).changes;
      return byCount + byAge;
    },
    written(count) {
      writtenSincePrune += count;
    },
    markDue() {
      writtenSincePrune = pruneEvery;
    },
    takeRequest() {
      if (writtenSincePrune < pruneEvery) return undefined;
      writtenSincePrune = 0;
      return { keep: retention.events, before: now() - retention.age };
    },
  };
}

/** Writes the batches still queued at close on this thread, settling each one's promise. */
function writeQueuedSync(syncWriter: ReturnType<typeof createSyncWriter>, batches: Batch[]): void {
  for (const batch of batches) {
    try {
      syncWriter.writeSync(toRows(batch.entries));
      batch.resolve();
    } catch (err) {
      batch.reject(toError(err));
    }
  }
}

/**
 * Opens (or creates) the event store. Appends are queued and written in one
 * transaction per batch off the publish path (in a worker thread by default);
 * every append's promise settles when its batch has committed (group commit),
 * so "resolved" means "on disk" (WAL with synchronous=NORMAL survives a killed
 * process, not a power cut). One batch is in flight at a time: what arrives
 * meanwhile forms the next batch, so batches grow with the load.
 */
export function createEventStore(opts: EventStoreOptions): EventStore {
  const db = openDatabase(opts.file);
  const batchMs = opts.batchMs ?? 0;
  const maxBatch = Math.max(1, opts.maxBatch ?? 2000);
  const retention = createRetention(db, opts.retention ?? { events: 100_000, age: 7 * 86_400_000 }, opts.now ?? Date.now);
  const syncWriter = createSyncWriter(db);
  const mode = opts.worker ?? 'auto';
  const writer = mode === false ? syncWriter : mode === true ? createWorkerWriter(opts.file, () => syncWriter) : createLazyWorkerWriter(opts.file, syncWriter, (thread) => db.pragma(`wal_autocheckpoint = ${thread ? 0 : 1000}`));

  let last = readLastSeq(db);

  const queue: Batch[] = [];
  let inflight: Batch | null = null;
  let queued = 0;
  let scheduled = false;
  let closed = false;

  function settled(batch: Batch, err: Error | null): void {
    // After close, close() itself has settled every batch.
    if (closed) return;
    inflight = null;
    queued -= batch.entries.length;
    if (err) {
      opts.onError?.(err);
      batch.reject(err);
    } else {
      batch.resolve();
      retention.written(batch.entries.length);
    }
    // What arrived during the write is the next batch: send it at once.
    if (queue.length > 0 && !closed) {
      scheduled = true;
      setImmediate(run);
    }
  }

  function dispatch(): void {
    if (inflight || closed) return;
    const batch = queue.shift();
    if (!batch) return;
    inflight = batch;
    // After heavy writing, retention rides along with the batch (run by the writer, off this thread).
    writer.write(toRows(batch.entries), retention.takeRequest()).then(
      () => settled(batch, null),
      (err: unknown) => settled(batch, toError(err)),
    );
  }

  function run(): void {
    scheduled = false;
    dispatch();
  }

  function schedule(): void {
    if (scheduled || inflight) return;
    scheduled = true;
    if (batchMs > 0) setTimeout(run, batchMs);
    else setImmediate(run);
  }

  // The read side (store-query.ts) sees the committed rows and what is queued, oldest first.
  const reader = createStoreReader(db, () => (queued === 0 ? [] : inflight ? [inflight, ...queue] : queue));

  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
  const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');

  retention.prune();
  // The periodic pass runs here only when no batch is on its way; otherwise the
  // next batch carries it to the writer (see dispatch).
  const pruneTimer = setInterval(() => {
    if (closed) return;
    if (inflight || queue.length > 0) retention.markDue();
    else retention.prune();
  }, opts.pruneIntervalMs ?? 60_000);
  pruneTimer.unref();

  return {
    setRetention(next: { events: number; age: number }): void {
      retention.set(next);
      if (!closed) retention.prune();
    },
    append(entry: BusEntry): Promise<void> {
      if (closed) {
        const refused = Promise.reject(new Error('event store is closed'));
        // A publish during shutdown must not become an unhandled rejection.
        refused.catch(() => {});
        return refused;
      }
      const batch = tailBatch(queue, maxBatch);
      batch.entries.push(entry);
      queued++;
      if (entry.seq > last) last = entry.seq;
      schedule();
      return batch.promise;
    },
    query: reader.query,
    filterOptions: reader.filterOptions,
    hasId: reader.hasId,
    count: reader.count,
    getMeta: (key) => (closed ? undefined : (getMeta.get(key) as { value: number } | undefined)?.value),
    setMeta(key, value) {
      if (!closed) setMeta.run(key, value);
    },
    lastSeq: () => last,
    pending: () => queued,
    flush(): Promise<void> {
      const waits = (inflight ? [inflight, ...queue] : queue).map((b) => b.promise);
      dispatch();
      return Promise.all(waits).then(() => undefined);
    },
    prune: () => retention.prune(),
    close(): void {
      if (closed) return;
      closed = true;
      clearInterval(pruneTimer);
      // Whatever the writer thread holds is committed before it stops; what is
      // still queued is written here, on this thread, before the database closes.
      writer.drainSync(10_000);
      // The batch in flight is written again: harmless if it had committed (same seqs).
      if (inflight) queue.unshift(inflight);
      inflight = null;
      writer.close();
      writeQueuedSync(syncWriter, queue.splice(0));
      queued = 0;
      db.close();
    },
  };
}

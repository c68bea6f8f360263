import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { BusEntry } from './types.js';

export const INSERT_SQL =
  'INSERT OR IGNORE INTO events (seq, id, timestamp, event_type, source, session_id, source_app, hook_event_type, json, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
export const SET_LAST_SQL =
  "INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE excluded.value > meta.value";
export const PRUNE_COUNT_SQL = 'DELETE FROM events WHERE seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?)';
export const PRUNE_AGE_SQL = 'DELETE FROM events WHERE timestamp < ?';

/** Retention to apply after a batch: keep the newest `keep` events, none older than `before` (ms). */
export interface PruneRequest {
  keep: number;
  before: number;
}

/** Values per row in the flat array handed to a writer. */
const WIDTH = 10;

/** Flattens entries into rows for one transaction (one flat array: cheap to post to a worker). */
export function toRows(entries: readonly BusEntry[]): unknown[] {
  const rows: unknown[] = new Array(entries.length * WIDTH);
  let i = 0;
  for (const { seq, event, json } of entries) {
    rows[i++] = seq;
    rows[i++] = event.id;
    rows[i++] = event.timestamp;
    rows[i++] = event.event_type;
    rows[i++] = event.source;
    rows[i++] = event.session_id;
    rows[i++] = event.source_app ?? null;
    rows[i++] = event.hook_event_type ?? null;
    rows[i++] = json;
    rows[i++] = event.host ?? null;
  }
  return rows;
}

/** Writes batches of rows, each in one transaction. */
export interface StoreWriter {
  /**
   * Resolves once the batch has committed. With `prune`, retention runs right
   * after it, on the writer's thread: deleting thousands of rows takes ~100 ms,
   * a stall the publishing thread must not see.
   */
  write(rows: unknown[], prune?: PruneRequest): Promise<void>;
  /** Blocks until every batch handed over so far has committed (used by a synchronous close). */
  drainSync(timeoutMs: number): void;
  close(): void;
}

// Runs in the writer thread (CommonJS, eval'd: it must not depend on the build).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// This thread runs at a lower priority than the daemon's main thread (Linux:
// a thread's nice value is its own; /proc/thread-self names its id), so on a
// busy machine SQLite's work waits for event delivery, not the other way round.
try {
  const os = require('node:os');
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) os.setPriority(tid, Math.min(19, os.getPriority(tid) + 10));
} catch {}
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare(workerData.insert);
const setLast = db.prepare(workerData.setLast);
const pruneCount = db.prepare(workerData.pruneCount);
const pruneAge = db.prepare(workerData.pruneAge);
const done = new Int32Array(workerData.shared);
const write = db.transaction((rows) => {
  let last = 0;
  for (let i = 0; i < rows.length; i += 10) {
    insert.run(rows[i], rows[i + 1], rows[i + 2], rows[i + 3], rows[i + 4], rows[i + 5], rows[i + 6], rows[i + 7], rows[i + 8], rows[i + 9]);
    if (rows[i] > last) last = rows[i];
  }
  setLast.run(last);
});
parentPort.on('message', (m) => {
  let error = null;
  try { write(m.rows); } catch (e) { error = String((e && e.message) || e); }
  // A failed prune is retried with a later batch; the batch itself is committed.
  if (m.prune && error === null) { try { pruneCount.run(m.prune.keep); pruneAge.run(m.prune.before); } catch {} }
  Atomics.store(done, 0, m.id);
  Atomics.notify(done, 0);
  parentPort.postMessage({ id: m.id, error });
});
`;

/** Writes on the calling thread: the batch is committed before `write` returns. */
export function createSyncWriter(db: Database.Database): StoreWriter & { writeSync(rows: unknown[]): void } {
  const insert = db.prepare(INSERT_SQL);
  const setLast = db.prepare(SET_LAST_SQL);
  const pruneCount = db.prepare(PRUNE_COUNT_SQL);
  const pruneAge = db.prepare(PRUNE_AGE_SQL);
  const writeRows = db.transaction((rows: unknown[]) => {
    let last = 0;
    for (let i = 0; i < rows.length; i += WIDTH) {
      insert.run(rows[i], rows[i + 1], rows[i + 2], rows[i + 3], rows[i + 4], rows[i + 5], rows[i + 6], rows[i + 7], rows[i + 8], rows[i + 9]);
      if ((rows[i] as number) > last) last = rows[i] as number;
    }
    setLast.run(last);
  });
  return {
    writeSync(rows) {
      writeRows(rows);
    },
    write(rows, prune) {
      try {
        writeRows(rows);
        if (prune) {
          pruneCount.run(prune.keep);
          pruneAge.run(prune.before);
        }
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    drainSync() {},
    close() {},
  };
}

interface Posted {
  id: number;
  rows: unknown[];
  prune: PruneRequest | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Writes in a worker thread, so that SQLite's inserts and index updates cost
 * the publishing thread nothing but a postMessage. If the worker dies, what it
 * had not acknowledged (and everything later) goes to `fallback` instead;
 * rewriting a batch that did commit is harmless (INSERT OR IGNORE: same seq, same id).
 */
export function createWorkerWriter(file: string, fallback: () => StoreWriter): StoreWriter {
  const shared = new SharedArrayBuffer(4);
  const done = new Int32Array(shared);
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, sqlite, shared, insert: INSERT_SQL, setLast: SET_LAST_SQL, pruneCount: PRUNE_COUNT_SQL, pruneAge: PRUNE_AGE_SQL },
  });
  // Referenced only while it holds batches: an idle writer does not keep the
  // process alive, a busy one does (so nothing acknowledged is lost at exit).
  worker.unref();
  const posted: Posted[] = [];
  let nextId = 1;
  let broken: StoreWriter | null = null;
  let closing = false;

  function failOver(reason: string): void {
    if (broken || closing) return;
    broken = fallback();
    for (const p of posted.splice(0)) {
      broken.write(p.rows, p.prune).then(p.resolve, (err: Error) => p.reject(new Error(`${err.message} (after the writer thread failed: ${reason})`)));
    }
  }

  worker.on('message', (m: { id: number; error: string | null }) => {
    const p = posted[0];
    if (!p || p.id !== m.id) return;
    posted.shift();
    if (posted.length === 0) worker.unref();
    if (m.error === null) p.resolve();
    else p.reject(new Error(m.error));
  });
  worker.on('error', (err) => failOver(err.message));
  worker.on('exit', (code) => failOver(`exited with ${code}`));

  return {
    write(rows, prune) {
      if (broken) return broken.write(rows, prune);
      return new Promise<void>((resolve, reject) => {
        const p: Posted = { id: nextId++, rows, prune, resolve, reject };
        if (posted.length === 0) worker.ref();
        posted.push(p);
        worker.postMessage({ id: p.id, rows, prune });
      });
    },
    drainSync(timeoutMs) {
      const target = posted.length > 0 ? posted[posted.length - 1]!.id : 0;
      const deadline = Date.now() + timeoutMs;
      while (!broken && Atomics.load(done, 0) < target && Date.now() < deadline) {
        Atomics.wait(done, 0, Atomics.load(done, 0), Math.max(1, deadline - Date.now()));
      }
      // Committed batches whose acknowledgement will never be read: settle them here.
      const committed = Atomics.load(done, 0);
      while (posted.length > 0 && posted[0]!.id <= committed) posted.shift()!.resolve();
    },
    close() {
      closing = true;
      for (const p of posted.splice(0)) p.reject(new Error('event store closed before this batch was committed'));
      void worker.terminate();
    },
  };
}

/** Entries in one batch from which the lazy writer hands it to its thread. */
export const WORKER_AT_ENTRIES = 200;
/** Time (ms) spent writing on the calling thread within one second past which the lazy writer hands batches to its thread. */
export const WORKER_AT_BUSY_MS = 20;
/** Once the thread exists: batches of at most this many entries are still written here while the second's budget lasts. */
export const SMALL_BATCH = 16;

/**
 * Writes on the calling thread while the load is light, and on a writer
 * thread when it is not: a batch of `WORKER_AT_ENTRIES` entries or more, one
 * that carries retention, or any batch once `WORKER_AT_BUSY_MS` of writing
 * here within a second (2 % of the thread) has been spent. A daemon that
 * publishes a few events a second (or a burst of 100 `component.started`)
 * never pays the thread's ~10 MB of RSS (its own V8 heap and SQLite
 * connection). Once the thread exists, a small batch (`SMALL_BATCH`, a hook
 * or two) is still written here while the second's budget lasts: one commit
 * here (~0.2 ms) answers a hook sooner than two hops to a thread that runs at
 * a lower priority, which a loaded machine keeps waiting (bench/hooks.js).
 * The WAL is then checkpointed by the thread only (`onThread(true)` turns
 * this connection's automatic checkpoint off, `onThread(false)` on again if
 * the thread fails: a checkpoint of a 4 MB WAL would stall this thread), and
 * the first batch of every second goes to the thread,
 * whose commit checkpoints when the WAL is due. Batches are handed over one
 * at a time (the store keeps one in flight), so the thread is idle whenever a
 * batch is written here, and order is kept.
 */
export function createLazyWorkerWriter(file: string, sync: StoreWriter, onThread?: (running: boolean) => void): StoreWriter {
  let worker: StoreWriter | null = null;
  let windowStart = 0;
  let busy = 0;
  let threadThisWindow = false;
  return {
    write(rows, prune) {
      const entries = rows.length / WIDTH;
      const t0 = performance.now();
      if (t0 - windowStart > 1000) {
        windowStart = t0;
        busy = 0;
        threadThisWindow = false;
      }
      const here = !prune && busy < WORKER_AT_BUSY_MS && (worker ? threadThisWindow && entries <= SMALL_BATCH : entries < WORKER_AT_ENTRIES);
      if (!here) {
        if (!worker) {
          // A thread that fails hands everything to this connection again, checkpoints included.
          worker = createWorkerWriter(file, () => (onThread?.(false), sync));
          onThread?.(true);
        }
        threadThisWindow = true;
        return worker.write(rows, prune);
      }
      const result = sync.write(rows, prune);
      busy += performance.now() - t0;
      return result;
    },
    drainSync(timeoutMs) {
      worker?.drainSync(timeoutMs);
    },
    close() {
      worker?.close();
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SCHEMA_SQL } from '../../../src/bus/store-sql.js';
import { createLazyWorkerWriter, createSyncWriter, SMALL_BATCH, toRows, WORKER_AT_ENTRIES, type StoreWriter } from '../../../src/bus/store-writer.js';
import type { BusEntry } from '../../../src/bus/types.js';
import { generateTestEvent } from '../../../src/schema/events.js';

let dir: string;
let db: Database.Database;
let writer: StoreWriter | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-lazy-writer-'));
  db = new Database(join(dir, 'events.db'));
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_SQL);
});
afterEach(() => {
  writer?.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
function rows(n: number): unknown[] {
  const entries: BusEntry[] = Array.from({ length: n }, () => {
    const event = generateTestEvent('PreToolUse', { timestamp: Date.now() }) as BusEntry['event'];
    return { seq: ++seq, event, json: JSON.stringify(event) };
  });
  return toRows(entries);
}

test('once its thread exists, the lazy writer still commits a small batch (a hook) on the calling thread, and a large one on the thread', async () => {
  const sync = createSyncWriter(db);
  const width = rows(1).length; // the values of one row, as toRows flattens them
  const onThisThread: number[] = [];
  const counting: StoreWriter = { ...sync, write: (r, p) => (onThisThread.push(r.length / width), sync.write(r, p)) };
  const thread: boolean[] = [];
  writer = createLazyWorkerWriter(join(dir, 'events.db'), counting, (running) => thread.push(running));
  await writer.write(rows(WORKER_AT_ENTRIES)); // large: the thread is started and writes it
  expect(onThisThread).toEqual([]);
  // Told, so that this connection leaves the WAL's checkpoints to the thread.
  expect(thread).toEqual([true]);
  // A small batch: committed here, before write() returns (a hook's answer waits on no thread hop).
  const small = writer.write(rows(1));
  expect(onThisThread).toEqual([1]);
  await small;
  await writer.write(rows(SMALL_BATCH + 1)); // over the small size: the thread's
  expect(onThisThread).toEqual([1]);
  expect((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(WORKER_AT_ENTRIES + 1 + SMALL_BATCH + 1);
});

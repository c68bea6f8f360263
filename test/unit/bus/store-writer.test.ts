import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SCHEMA_SQL } from '../../../src/bus/store-sql.js';
import { createSyncWriter, createWorkerWriter, toRows } from '../../../src/bus/store-writer.js';
import { generateTestEvent } from '../../../src/schema/events.js';

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-writer-'));
  db = new Database(join(dir, 'events.db'));
  db.exec(SCHEMA_SQL);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = (from: number, to: number) =>
  toRows(
    Array.from({ length: to - from + 1 }, (_, i) => {
      const event = generateTestEvent('Stop');
      return { seq: from + i, event, json: JSON.stringify(event) };
    }),
  );
const count = () => (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;

test('the writer thread commits each batch before acknowledging it', async () => {
  const writer = createWorkerWriter(join(dir, 'events.db'), () => createSyncWriter(db));
  await Promise.all([writer.write(rows(1, 10)), writer.write(rows(11, 20))]);
  expect(count()).toBe(20);
  writer.close();
});

test('when the writer thread cannot work, batches go to the fallback writer and still commit', async () => {
  // The thread cannot open a database in a directory that does not exist, and dies.
  const writer = createWorkerWriter(join(dir, 'missing', 'events.db'), () => createSyncWriter(db));
  await writer.write(rows(1, 5));
  await writer.write(rows(6, 8));
  expect(count()).toBe(8);
  writer.close();
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { SCHEMA_SQL } from '../../../src/bus/store-sql.js';
import { createEventStore } from '../../../src/bus/store.js';
import { createSyncWriter, toRows } from '../../../src/bus/store-writer.js';
import { generateTestEvent } from '../../../src/schema/events.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-unique-id-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('an event published twice with one id is stored once, the first copy kept', async () => {
  const store = createEventStore({ file: join(dir, 'events.db'), worker: false });
  const bus = createBus({ store });
  const id = '0b4f3c2e-8d1a-4e5b-9c6d-7e8f9a0b1c2d';
  const first = bus.publish({ id, source: 'hooks', session_id: 's', event_type: 'Stop', payload: { copy: 1 } });
  const second = bus.publish({ id, source: 'hooks', session_id: 's', event_type: 'Stop', payload: { copy: 2 } });
  expect(first.ok && second.ok).toBe(true);
  await store.flush();
  const stored = store.query({ event_type: 'Stop' }).events;
  expect(stored.map((e) => [e.event.id, e.event.payload])).toEqual([[id, { copy: 1 }]]);
  store.close();
});

test('a store written before ids were unique keeps the first of each repeated id and opens', async () => {
  const file = join(dir, 'events.db');
  const db = new Database(file);
  db.exec(SCHEMA_SQL);
  const event = generateTestEvent('Stop');
  createSyncWriter(db).writeSync(toRows([1, 2, 3].map((seq) => ({ seq, event: seq === 3 ? generateTestEvent('Stop') : event, json: JSON.stringify(event) }))));
  db.close();
  const store = createEventStore({ file, worker: false });
  expect(store.query({}).events.map((e) => e.seq)).toEqual([1, 3]);
  store.close();
});

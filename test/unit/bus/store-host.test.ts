import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { createEventStore } from '../../../src/bus/store.js';

// Federation's `host`: a column (with its index) that an events.db written before it gains on open.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-store-host-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const OLD_SCHEMA = `
CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, timestamp REAL NOT NULL, event_type TEXT NOT NULL, source TEXT NOT NULL,
  session_id TEXT NOT NULL, source_app TEXT, hook_event_type TEXT, json TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`;

test('a store from before the host column opens with its events, and new events are filtered by host', async () => {
  const file = join(dir, 'events.db');
  const db = new Database(file);
  db.exec(OLD_SCHEMA);
  const old = { id: '0b4f3c2e-8d1a-4e5b-9c6d-7e8f9a0b1c2d', timestamp: Date.now(), source: 's', session_id: 'x', event_type: 'old.one', version: '1.0', payload: {} };
  db.prepare('INSERT INTO events (seq, id, timestamp, event_type, source, session_id, json) VALUES (1, ?, ?, ?, ?, ?, ?)').run(old.id, old.timestamp, old.event_type, old.source, old.session_id, JSON.stringify(old));
  db.close();

  const store = createEventStore({ file, worker: false });
  const bus = createBus({ store, host: 'a' });
  const local = bus.publish({ source: 's', session_id: 'x', event_type: 'new.local', host: 'forged' });
  const foreign = bus.publishForeign!({ source: 's', session_id: 'x', event_type: 'new.foreign', host: 'b' });
  expect(local.ok && local.entry.event.host).toBe('a');
  expect(foreign.ok && foreign.entry.event.host).toBe('b');
  // Queued and committed alike.
  expect(store.count!({ host: 'a' })).toBe(1);
  await store.flush();
  expect(store.query({}).events.map((e) => e.event.event_type)).toEqual(['old.one', 'new.local', 'new.foreign']);
  expect(store.query({ host: 'b' }).events.map((e) => e.event.event_type)).toEqual(['new.foreign']);
  expect(store.query({ host: 'a,b' }).events).toHaveLength(2);
  expect(store.count!({ host: 'a' })).toBe(1);
  expect(store.hasId!(old.id)).toBe(true);
  store.setMeta!('cursor', 7);
  expect(store.getMeta!('cursor')).toBe(7);
  store.close();

  const check = new Database(file, { readonly: true });
  expect((check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'events_host'").get() as { name: string }).name).toBe('events_host');
  check.close();
});

test('without a host (federation off) an event carries none', () => {
  const bus = createBus();
  const r = bus.publish({ source: 's', session_id: 'x', event_type: 't' });
  expect(r.ok && 'host' in r.entry.event).toBe(false);
});

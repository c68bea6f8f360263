import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createEventStore } from '../../../src/bus/store.js';
import type { BusEntry, EventStore } from '../../../src/bus/types.js';
import { generateTestEvent } from '../../../src/schema/events.js';

let dir: string;
const open: EventStore[] = [];
// Recent timestamps, so the default retention by age (7 days) keeps them.
const BASE = Date.now();

let worker: boolean | 'auto' = true;
function openStore(opts: Partial<Parameters<typeof createEventStore>[0]> = {}): EventStore {
  const store = createEventStore({ file: join(dir, 'events.db'), worker, ...opts });
  open.push(store);
  return store;
}

function entry(seq: number, over: Record<string, unknown> = {}): BusEntry {
  const event = { ...generateTestEvent('PreToolUse', { timestamp: BASE + seq }), ...over } as BusEntry['event'];
  return { seq, event, json: JSON.stringify(event) };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-store-'));
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['in a writer thread', true],
  ['on the calling thread', false],
  ['on the calling thread until the load calls for a writer thread', 'auto' as const],
])('event store writing %s', (_name, inWorker) => {
  beforeEach(() => {
    worker = inWorker;
  });

  test('appends in one tick share one batch and commit together', async () => {
    const store = openStore();
    const promises = Array.from({ length: 10 }, (_, i) => store.append(entry(i + 1)));
    expect(new Set(promises).size).toBe(1);
    expect(store.pending()).toBe(10);
    await Promise.all(promises);
    expect(store.pending()).toBe(0);
    expect(store.lastSeq()).toBe(10);
  });

  test('small batches then big ones keep their order (the auto writer moves to its thread in between)', async () => {
    const store = openStore();
    for (let i = 1; i <= 5; i++) await store.append(entry(i));
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.append(entry(i + 6))));
    for (let i = 306; i <= 310; i++) await store.append(entry(i));
    expect(store.query({}, { limit: 2000 }).events.map((e) => e.seq)).toEqual(Array.from({ length: 310 }, (_, i) => i + 1));
    expect(store.lastSeq()).toBe(310);
  });

  test('a queue longer than maxBatch is written in several transactions', async () => {
    const store = openStore({ maxBatch: 10 });
    const promises = Array.from({ length: 25 }, (_, i) => store.append(entry(i + 1)));
    expect(new Set(promises).size).toBe(3);
    await Promise.all(promises);
    expect(store.query({}, { limit: 100 }).events.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  test('queued entries are visible to queries before they commit', async () => {
    const store = openStore({ batchMs: 50 });
    await Promise.all([1, 2, 3].map((s) => store.append(entry(s))));
    void store.append(entry(4));
    void store.append(entry(5));
    expect(store.pending()).toBe(2);
    expect(store.query({}).events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(store.query({}, { order: 'desc', limit: 3 }).events.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(store.query({ after: 3 }).events.map((e) => e.seq)).toEqual([4, 5]);
    await store.flush();
    expect(store.pending()).toBe(0);
  });

  test('pages forward and backward with a cursor, across committed and queued entries', async () => {
    const store = openStore({ batchMs: 1000 });
    for (let s = 1; s <= 7; s++) void store.append(entry(s));
    await store.flush();
    for (let s = 8; s <= 10; s++) void store.append(entry(s));

    const forward: number[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = store.query({}, { limit: 4, ...(cursor ? { cursor } : {}) });
      forward.push(page.events.map((e) => e.seq));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(forward).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);

    const backward: number[][] = [];
    cursor = undefined;
    for (;;) {
      const page = store.query({}, { limit: 4, order: 'desc', ...(cursor ? { cursor } : {}) });
      backward.push(page.events.map((e) => e.seq));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(backward).toEqual([[7, 8, 9, 10], [3, 4, 5, 6], [1, 2]]);
    expect(() => store.query({}, { cursor: 'nope' })).toThrow(/invalid cursor "nope"/);
  });

  test('queries filter by type (exact, list, prefix), source and session (exact, list), time and after', async () => {
    const store = openStore();
    const types = ['component.started', 'component.stopped', 'resource.alert', 'error.CMP002', 'componentX'];
    await Promise.all(types.map((t, i) => store.append(entry(i + 1, { event_type: t, source: i % 2 ? 'a' : 'b', session_id: `s${i}` }))));
    const seqs = (f: Parameters<EventStore['query']>[0]) => store.query(f).events.map((e) => e.seq);
    expect(seqs({ event_type: 'component.*' })).toEqual([1, 2]);
    expect(seqs({ event_type: 'resource.alert,error.*' })).toEqual([3, 4]);
    expect(seqs({ source: 'a' })).toEqual([2, 4]);
    expect(seqs({ session_id: 's4' })).toEqual([5]);
    expect(seqs({ source: 'a, b' })).toEqual([1, 2, 3, 4, 5]);
    expect(seqs({ session_id: 's0,s3,nope', source: 'a' })).toEqual([4]);
    expect(seqs({ since: BASE + 2, until: BASE + 4 })).toEqual([2, 3, 4]);
    expect(seqs({ after: 3, event_type: 'component*' })).toEqual([5]);
    expect(store.filterOptions().session_ids).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  test('retention by count keeps the newest events', async () => {
    const store = openStore({ retention: { events: 50, age: 1e12 } });
    await Promise.all(Array.from({ length: 120 }, (_, i) => store.append(entry(i + 1))));
    expect(store.prune()).toBe(70);
    const seqs = store.query({}, { limit: 1000 }).events.map((e) => e.seq);
    expect(seqs.length).toBe(50);
    expect(seqs[0]).toBe(71);
  });

  test('after heavy writing, retention rides along with the next batch (run by the writer)', async () => {
    const store = openStore({ retention: { events: 50, age: 1e12 } });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.append(entry(i + 1))));
    await store.append(entry(1001));
    const seqs = store.query({}, { limit: 2000 }).events.map((e) => e.seq);
    expect(seqs.length).toBe(50);
    expect(seqs[0]).toBe(952);
  });

  test('retention by age drops old events, and seq keeps rising after a reopen of an emptied store', async () => {
    let now = 10_000;
    const store = openStore({ retention: { events: 1000, age: 5000 }, now: () => now });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.append(entry(i + 1, { timestamp: i * 1000 }))));
    expect(store.prune()).toBe(5);
    expect(store.query({}).events.map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
    now = 1e9;
    expect(store.prune()).toBe(5);
    store.close();
    const reopened = openStore();
    expect(reopened.lastSeq()).toBe(10);
    expect(reopened.query({}).events).toEqual([]);
  });

  test('retention runs at open', async () => {
    const store = openStore();
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.append(entry(i + 1))));
    store.close();
    const reopened = openStore({ retention: { events: 10, age: 1e12 } });
    expect(reopened.query({}, { limit: 100 }).events.map((e) => e.seq)[0]).toBe(21);
  });

  test('close commits what is queued; append after close rejects', async () => {
    const store = openStore({ batchMs: 10_000 });
    const p = store.append(entry(1));
    store.close();
    await p;
    const reopened = openStore();
    expect(reopened.query({}).events.map((e) => e.seq)).toEqual([1]);
    await expect(store.append(entry(2))).rejects.toThrow(/closed/);
  });
});

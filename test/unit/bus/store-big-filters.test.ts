import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createEventStore } from '../../../src/bus/store.js';
import type { BusEntry, EventStore } from '../../../src/bus/types.js';
import { generateTestEvent } from '../../../src/schema/events.js';

// Whatever its size, a filter is SQL of a fixed shape (a list is one
// json_each parameter): a 1,000-term OR chain went past SQLite's expression
// depth, 40,000 values past its variable limit, and both threw.

let dir: string;
let store: EventStore;
const list = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(',');

function entry(seq: number, over: Record<string, unknown>): BusEntry {
  const event = { ...generateTestEvent('PreToolUse', { timestamp: Date.now() }), ...over } as BusEntry['event'];
  return { seq, event, json: JSON.stringify(event) };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corral-store-big-'));
  store = createEventStore({ file: join(dir, 'events.db'), worker: false });
  for (let i = 1; i <= 30; i++) void store.append(entry(i, { event_type: `t${i}.x`, source: `s${i}`, session_id: `k${i}` }));
  await store.flush();
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const seqs = (p: { events: BusEntry[] }) => p.events.map((e) => e.seq);

describe('big filters run as queries of a fixed shape', () => {
  test('1,000 exact types, 1,000 prefixes, 40,000 sources and session ids', () => {
    expect(seqs(store.query({ event_type: list(1000, (i) => `t${i}.x`) }, { limit: 100 }))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(seqs(store.query({ event_type: list(1000, (i) => `t${i + 5}.*`) }, { limit: 100 }))).toEqual(Array.from({ length: 26 }, (_, i) => i + 5));
    expect(seqs(store.query({ source: list(40_000, (i) => `s${i * 3}`) }, { limit: 100 }))).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(seqs(store.query({ session_id: list(40_000, (i) => `k${i}`), event_type: 't7.x,t8.*,t9.*' }, { limit: 100 }))).toEqual([7, 8, 9]);
  });

  test('a mix of exact types and a few prefixes still uses index ranges and matches the same events', () => {
    expect(seqs(store.query({ event_type: 't1.x,t2.*,t3.*,t30.x' }, { limit: 100 }))).toEqual([1, 2, 3, 30]);
  });

  test('a page stops at its byte bound, with a cursor that continues it', () => {
    const all = store.query({}, { limit: 100, order: 'asc' }).events;
    const len = (seq: number) => all[seq - 1]!.json.length;
    const page = store.query({}, { limit: 100, maxBytes: len(1) + len(2) + len(3), order: 'asc' });
    expect(seqs(page)).toEqual([1, 2, 3]);
    expect(page.next_cursor).toBe('3');
    const desc = store.query({}, { limit: 100, maxBytes: len(29) + len(30), order: 'desc' });
    expect(seqs(desc)).toEqual([29, 30]);
    expect(desc.next_cursor).toBe('29');
    // One event bigger than the bound still comes, alone.
    expect(seqs(store.query({}, { limit: 100, maxBytes: 1, order: 'asc' }))).toEqual([1]);
  });
});

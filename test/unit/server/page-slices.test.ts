import { describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import type { Bus, QueryOptions } from '../../../src/bus/types.js';
import { SLICE_BYTES, createPageReader, createSliceScheduler, type Page, type PageReader } from '../../../src/server/page-slices.js';

// The page reader over a real bus (its in-memory history: the same paging as
// the store's), and the scheduler that runs readers a slice at a time.

const FIELD = 'x'.repeat(50 * 1024);

function busWith(n: number): { bus: Bus; reads: QueryOptions[] } {
  const bus = createBus({ sessionId: 's', memoryHistory: 10_000 });
  for (let i = 0; i < n; i++) {
    const r = bus.publish({ event_type: 'big.one', source: 't', session_id: 's', payload: { i, f: FIELD } });
    if (!r.ok) throw new Error(r.error.error_message);
  }
  const reads: QueryOptions[] = [];
  const history = bus.history.bind(bus);
  bus.history = (filter, options) => (reads.push(options ?? {}), history(filter, options));
  return { bus, reads };
}

function readAll(reader: PageReader): Page {
  for (let i = 0; i < 10_000; i++) if (reader.step()) return reader.page();
  throw new Error('the reader never finished');
}

const payloadI = (p: Page): number[] => p.entries.map((e) => (e.event.payload as { i: number }).i);

describe('a page read in slices', () => {
  it('a replay reads at most SLICE_BYTES per slice, stops at upTo, and is whole when it fits', () => {
    const { bus, reads } = busWith(40);
    const reader = createPageReader(bus, { filter: { after: 0 }, count: 10_000, room: 4 * 1024 * 1024, upTo: 30 });
    // Published after the subscription: delivered live, never in the page.
    bus.publish({ event_type: 'big.one', source: 't', session_id: 's', payload: { i: 99 } });
    const page = readAll(reader);
    expect(payloadI(page)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(page.extra).toEqual({});
    expect(reads.length).toBeGreaterThan(5);
    for (const r of reads) expect(r.maxBytes).toBeLessThanOrEqual(SLICE_BYTES);
  });

  // Each event is ~51.3 KB of JSON: 488,000 characters hold 9 of them.
  it('a replay that reaches its room or its count first is truncated with next_cursor at its last event', () => {
    const { bus } = busWith(40);
    const byRoom = readAll(createPageReader(bus, { filter: { after: 5 }, count: 10_000, room: 488_000, upTo: 40 }));
    expect(payloadI(byRoom)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(byRoom.extra).toEqual({ truncated: true, next_cursor: '14' });
    const byCount = readAll(createPageReader(bus, { filter: { after: 0 }, count: 3, room: 4 * 1024 * 1024, upTo: 40 }));
    expect(byCount.extra).toEqual({ truncated: true, next_cursor: '3' });
    // Exactly at the end of what there is: not truncated.
    const exact = readAll(createPageReader(bus, { filter: { after: 37 }, count: 3, room: 4 * 1024 * 1024, upTo: 40 }));
    expect(payloadI(exact)).toEqual([37, 38, 39]);
    expect(exact.extra).toEqual({});
  });

  it('history (no cursor) is the newest `count` events up to upTo, oldest first, within its room', () => {
    const { bus } = busWith(40);
    expect(payloadI(readAll(createPageReader(bus, { filter: {}, count: 12, room: 4 * 1024 * 1024, upTo: 35 })))).toEqual(Array.from({ length: 12 }, (_, i) => 23 + i));
    expect(payloadI(readAll(createPageReader(bus, { filter: {}, count: 100, room: 3 * 52_000, upTo: 40 })))).toEqual([37, 38, 39]);
    expect(readAll(createPageReader(bus, { filter: {}, count: 0, room: 1000, upTo: 40 })).entries).toEqual([]);
  });
});

describe('the slice scheduler', () => {
  /** A reader of `steps` steps, each busy for `ms`, that logs its name at each step. */
  function fake(name: string, steps: number, ms: number, log: string[]): PageReader {
    let n = 0;
    return {
      step() {
        const until = performance.now() + ms;
        while (performance.now() < until);
        log.push(name);
        return ++n >= steps;
      },
      page: () => ({ entries: [], extra: {} }),
    };
  }

  it('runs readers in turn, yields the event loop once a turn has used its time, never finishes synchronously, and drops a cancelled one', async () => {
    const scheduler = createSliceScheduler(5);
    const log: string[] = [];
    const done: string[] = [];
    let turns = 0;
    let counting = true;
    const countTurns = (): void => void (counting && (turns++, setImmediate(countTurns)));
    setImmediate(countTurns);
    const finished = new Promise<void>((resolve) => {
      scheduler.run(fake('a', 10, 2, log), () => done.push('a'), (e) => done.push(String(e)));
      scheduler.run(fake('b', 10, 2, log), () => (done.push('b'), resolve()), (e) => done.push(String(e)));
    });
    const cancel = scheduler.run(fake('c', 10, 2, log), () => done.push('c'), () => {});
    expect(done).toEqual([]);
    cancel();
    await finished;
    counting = false;
    expect(done).toEqual(['a', 'b']);
    expect(log.slice(0, 4)).toEqual(['a', 'b', 'a', 'b']);
    expect(log.filter((x) => x === 'c')).toEqual([]);
    // 20 steps of 2 ms each at 5 ms a turn: other callbacks ran between them.
    expect(turns).toBeGreaterThan(1);
    expect(scheduler.size()).toBe(0);
  });

  it('a reader that throws gets its error, the others go on', async () => {
    const scheduler = createSliceScheduler(5);
    const got = await new Promise<string>((resolve) => {
      scheduler.run({ step: () => { throw new Error('bad cursor'); }, page: () => ({ entries: [], extra: {} }) }, () => resolve('done'), (e) => resolve((e as Error).message));
    });
    expect(got).toBe('bad cursor');
    const ok = await new Promise<string>((resolve) => scheduler.run(fake('a', 2, 0, []), () => resolve('done'), () => resolve('error')));
    expect(ok).toBe('done');
  });
});

import { describe, expect, it } from 'vitest';
import { createMemoryBudget } from '../../../src/server/memory-budget.js';
import { SLICE_BYTES } from '../../../src/server/page-slices.js';
import { withTimeout } from '../../helpers/wait-for.js';
import { connect, type TestServer, startTestServer, useTestServer } from './helpers.js';

// A replay page is read from the store in slices over several event-loop
// turns (src/server/page-slices.ts). Events published meanwhile must reach
// the client once each, in order, after the page: held while it is read,
// never in it twice nor lost; and events the store has queued but not yet
// written are in the page.

let srv: TestServer | undefined;
useTestServer();

// ~184 KB per event (three 60 KiB fields: under the 64 KiB field cap).
const FIELD = 'x'.repeat(60 * 1024);
function publish(eventType: string, payload: Record<string, unknown>): void {
  const r = srv!.bus.publish({ event_type: eventType, source: 'test', session_id: 's', payload });
  if (!r.ok) throw new Error(r.error.error_message);
}

/** Runs `each` after every read of the server's history (each slice of a page), from inside it: a publish there lands between two slices. */
function betweenSlices(each: (n: number) => void): { reads(): number } {
  const bus = srv!.bus;
  const history = bus.history.bind(bus);
  let n = 0;
  bus.history = (filter, options) => {
    const page = history(filter, options);
    each(n++);
    return page;
  };
  return { reads: () => n };
}

describe('replay pages read in slices', () => {
  it('events published while a page is read come after it, once each, in order; events not yet written are in it', async () => {
    // A minute's batching: the 15 events are still queued, not written, when the page is read.
    srv = await startTestServer({}, { batchMs: 60_000 });
    for (let i = 0; i < 15; i++) publish('big.one', { i, a: FIELD, b: FIELD, c: FIELD });
    expect(srv.store.pending()).toBe(15);
    // 15 × ~184 KB: one page (under 4 MiB), read in about a dozen slices.
    expect(15 * 184_000).toBeGreaterThan(8 * SLICE_BYTES);
    let live = 0;
    const reads = betweenSlices(() => publish('live.one', { n: live++ }));
    const c = await connect(srv.wsUrl('?event_type=big.*,live.*&after=0'));
    const initial = await c.waitFor((m) => m.type === 'initial', 'initial');
    const total = live;
    await c.waitFor(() => c.events().some((e) => e.payload.n === total - 1), `live event ${total - 1}`);
    expect(reads.reads()).toBeGreaterThan(5);
    // Nothing before the page; the page holds the 15 queued events and no live one.
    expect(c.messages.find((m) => m.type === 'initial' || m.type === 'event')).toBe(initial);
    expect(initial.data.map((e: { payload: { i?: number } }) => e.payload.i)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(initial.metadata.truncated).toBeUndefined();
    // Then every live event, once, in order (the ones published while the page was read, and the one from its last read).
    const got: number[] = c.events().map((e: { payload: { n: number } }) => e.payload.n);
    expect(got.slice(0, total)).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(total).toBe(reads.reads());
  }, 60_000);

  it('a client whose live events outgrow its limit while its replay is read is closed (1013); the daemon goes on', async () => {
    const budget = createMemoryBudget();
    srv = await startTestServer({ slowConsumer: { highWatermark: 8 * 1024 * 1024, hardLimit: 256 * 1024 }, memoryBudget: budget });
    for (let i = 0; i < 15; i++) publish('big.one', { i, a: FIELD, b: FIELD, c: FIELD });
    await srv.store.flush();
    // Two big events (~368 KB, over the 256 KiB limit) between the first two slices.
    betweenSlices((n) => {
      if (n === 0) for (let i = 0; i < 2; i++) publish('big.one', { i: 100 + i, a: FIELD, b: FIELD, c: FIELD });
    });
    const c = await connect(srv.wsUrl('?event_type=big.*&after=0'));
    const closed = await withTimeout('the server closing the client (1013)', c.closed);
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/slow consumer/);
    expect(c.messages.some((m) => m.type === 'initial')).toBe(false);
    // The budget the page held is back, and the server answers the next client.
    expect(budget.used()).toBe(0);
    const other = await connect(srv.wsUrl('?event_type=live.*'));
    await other.waitFor((m) => m.type === 'initial', 'initial of a new client');
  }, 60_000);
});

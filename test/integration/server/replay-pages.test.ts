import { describe, expect, it } from 'vitest';
import { createClient, type CorralClient } from '../../../src/client/index.js';
// The page bound (HISTORY_PAGE_BYTES in src/bus/types.ts).
const HISTORY_PAGE_BYTES = 4 * 1024 * 1024;
import { connectReady, http, type TestServer, startTestServer, useTestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// Replays and history are pages bounded by bytes as well as count: a store
// whose events are big is never answered in one giant message.

let srv: TestServer | undefined;
let client: CorralClient | undefined;
useTestServer();

// ~184 KB per event (three 60 KiB fields: under the 64 KiB field cap).
const FIELD = 'x'.repeat(60 * 1024);
function publishBig(n: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    const r = srv!.bus.publish({ event_type: 'big.one', source: 'test', session_id: 's', payload: { i, a: FIELD, b: FIELD, c: FIELD } });
    if (!r.ok) throw new Error(r.error.error_message);
  }
}

describe('replay and history pages', () => {
  it('a replay of ~11 MB comes in pages of at most 4 MiB, each truncated with next_cursor until the last', async () => {
    srv = await startTestServer();
    publishBig(60);
    await srv.store.flush();
    const sizes: number[] = [];
    const c = await connectReady(srv.wsUrl('?event_type=big.*&after=0'));
    c.ws.on('message', (raw: Buffer) => sizes.push(raw.length));
    const got: number[] = [];
    let page = c.messages.find((m) => m.type === 'initial')!;
    for (let n = 1; ; n++) {
      got.push(...page.data.map((e: { payload: { i: number } }) => e.payload.i));
      if (!page.metadata.truncated) break;
      expect(page.metadata.next_cursor).toBe(String(page.metadata.seq));
      c.send({ type: 'subscribe', data: { event_type: 'big.*', after: Number(page.metadata.next_cursor) } });
      page = await c.waitFor((m) => m.type === 'initial' && c.messages.filter((x) => x.type === 'initial').length === n + 1, `page ${n + 1}`);
    }
    expect(got).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const first = JSON.stringify(c.messages.find((m) => m.type === 'initial'));
    expect(first.length).toBeLessThan(HISTORY_PAGE_BYTES + 64 * 1024);
    expect(Math.max(...sizes)).toBeLessThan(HISTORY_PAGE_BYTES + 64 * 1024);
  }, 60_000);

  it('the client follows the pages on resume: every event once, in order, then live ones', async () => {
    srv = await startTestServer();
    publishBig(60);
    client = createClient({ url: srv.server.url, filter: { event_type: 'big.*' }, after: 0, reconnect: false });
    const got: number[] = [];
    const initials: boolean[] = [];
    client.on('event', (e) => got.push((e.payload as { i: number }).i));
    client.on('initial', (info) => initials.push(info.truncated));
    await client.connect();
    await waitFor('the 60 replayed events', () => got.length >= 60, 30_000);
    publishBig(2, 60);
    await waitFor('the 2 live events', () => got.length >= 62, 10_000);
    expect(got).toEqual(Array.from({ length: 62 }, (_, i) => i));
    // More than one page, the last one not truncated.
    expect(initials.length).toBeGreaterThan(1);
    expect(initials.at(-1)).toBe(false);
  }, 60_000);

  it('GET /events?limit=10000 is one page of at most 4 MiB with a next_cursor; following it gives every event once', async () => {
    srv = await startTestServer();
    publishBig(60);
    await srv.store.flush();
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await http(srv.server.url, 'GET', `/events?event_type=big.one&order=asc&limit=10000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.text.length).toBeLessThan(HISTORY_PAGE_BYTES + 64 * 1024);
      seen.push(...res.body.events.map((e: { payload: { i: number } }) => e.payload.i));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
  }, 60_000);
});

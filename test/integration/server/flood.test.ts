import { describe, expect, it } from 'vitest';
import { connectReady, startTestServer, useTestServer, type TestClient, type TestServer } from './helpers.js';

// A flooder must be rate limited by how fast it sends, not by how fast the
// server gets through its messages: when handling one message takes longer
// than 1/rate (big payloads, a busy store, many subscribers), a bucket that
// refills while the server works never runs dry, so the flood was never
// refused and it held the event loop (health probes and timers starved).

let ts: TestServer | null = null;
useTestServer();

const client = (url: string): Promise<TestClient> => connectReady(url);

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('WebSocket flood while the server is slower than the rate limit', () => {
  it('WS004 and close come at once, few flood events are handled, and the event loop keeps turning', async () => {
    // 20 messages/s means 50 ms a message; each flood event costs the server 60 ms.
    ts = await startTestServer({ rateLimit: { rate: 20, burst: 20 } });
    let handled = 0;
    ts.bus.subscribe({ source: 'flood' }, () => {
      handled++;
      spin(60);
    });
    const flood = await client(ts.wsUrl('?event_type=none'));
    const other = await client(ts.wsUrl('?source=calm'));

    // The largest gap between two turns of a 5 ms timer while the flood lasts.
    let last = performance.now();
    let maxGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    try {
      for (let i = 0; i < 400; i++) flood.send({ type: 'event', data: { source: 'flood', session_id: 's', event_type: 'x.flood', payload: { i } } });
      // Before the fix every frame was handled (400 × 60 ms = 24 s) and no WS004 came.
      const err = await flood.waitFor((m) => m.type === 'error', 'WS004 on the flooder', 3000);
      expect(err.data.error_code).toBe('WS004');
      const closed = await flood.closed;
      expect(closed.code).toBe(1008);
    } finally {
      clearInterval(ticker);
    }
    // Messages read after the limit tripped are dropped, not handled.
    expect(handled).toBeLessThanOrEqual(20);
    // One client's messages are handled in slices: the loop never waits for the whole flood.
    expect(maxGap).toBeLessThan(1000);

    ts.bus.publish({ source: 'calm', session_id: 's', event_type: 'x.calm' });
    await other.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.calm', 'event on the other client');
    other.send({ type: 'event', data: { source: 'calm', session_id: 's', event_type: 'x.calm2' } });
    await other.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.calm2', 'own publish');
  });

  it('big messages cost more of the rate limit: 40 messages of 48 KiB trip it where 40 small ones do not', async () => {
    // A slow refill: what trips the limit is the burst, however long a loaded machine takes to send 2 MB.
    ts = await startTestServer({ rateLimit: { rate: 1, burst: 100 } });
    const small = await client(ts.wsUrl('?source=small'));
    for (let i = 0; i < 40; i++) small.send({ type: 'event', data: { source: 'small', session_id: 's', event_type: 'x.small', payload: { i } } });
    await small.waitFor((m) => m.type === 'event' && m.data.payload.i === 39, 'the 40th small event back');
    expect(small.messages.some((m) => m.type === 'error')).toBe(false);

    const big = await client(ts.wsUrl('?event_type=none'));
    const blob = 'x'.repeat(48 * 1024);
    for (let i = 0; i < 40; i++) big.send({ type: 'event', data: { source: 'big', session_id: 's', event_type: 'x.big', payload: { i, blob } } });
    const err = await big.waitFor((m) => m.type === 'error', 'WS004 on the big-message flooder');
    expect(err.data.error_code).toBe('WS004');
    expect((await big.closed).code).toBe(1008);
    // Each 48 KiB message costs 4 tokens: about a quarter of the burst got through.
    expect(ts.bus.history({ event_type: 'x.big' }, { limit: 100 }).events.length).toBeLessThanOrEqual(26);
  });

  it('a client within the limit whose messages the server handles slowly is slowed down, not refused, and loses nothing', async () => {
    ts = await startTestServer({ rateLimit: { rate: 1000, burst: 1000 } });
    ts.bus.subscribe({ source: 'steady' }, () => spin(2));
    const c = await client(ts.wsUrl('?source=steady'));
    // 600 messages at once: within the burst, but 1.2 s of work for the server.
    for (let i = 0; i < 600; i++) c.send({ type: 'event', data: { source: 'steady', session_id: 's', event_type: 'x.steady', payload: { i } } });
    await c.waitFor((m) => m.type === 'event' && (Array.isArray(m.data) ? m.data : [m.data]).some((e: any) => e.payload.i === 599), 'the last event back', 15_000);
    expect(c.messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(c.events().map((e) => e.payload.i)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('a register sent just before the client closes is still handled (component.started, then component.stopped)', async () => {
    ts = await startTestServer();
    const watcher = await client(ts.wsUrl('?event_type=component.*'));
    const c = await client(ts.wsUrl('?event_type=none'));
    c.send({ type: 'register', data: { component: 'quick' } });
    c.ws.close(1000);
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.stopped' && m.data.payload.component === 'quick', 'component.stopped');
    const types = watcher.events().filter((e) => e.payload.component === 'quick').map((e) => e.event_type);
    expect(types).toEqual(['component.started', 'component.stopped']);
  });
});

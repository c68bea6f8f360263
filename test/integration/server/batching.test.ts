import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hookEvent, startTestServer, useTestServer, type TestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let ts: TestServer | null = null;
const clients: WebSocket[] = [];
useTestServer();
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
});

describe('slow consumer batching', () => {
  it('a subscriber that falls behind the high watermark gets its backlog as batches, in order, nothing lost', async () => {
    ts = await startTestServer({ slowConsumer: { highWatermark: 64 * 1024, hardLimit: 64 * 1024 * 1024 } });
    const ws = new WebSocket(ts.wsUrl('?event_type=batch.test'));
    clients.push(ws);
    const got: number[] = [];
    let batches = 0;
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type !== 'event') return;
      const list = Array.isArray(m.data) ? m.data : [m.data];
      if (Array.isArray(m.data)) {
        batches++;
        expect(m.metadata.batch).toBe(m.data.length);
      }
      for (const e of list) got.push(e.payload.i);
    });
    await new Promise((r) => ws.once('message', r));
    // Stop reading: the server's buffer for this client passes the watermark.
    ws.pause();
    const N = 20_000;
    for (let i = 0; i < N; i++) ts.bus.publish(hookEvent(i, { event_type: 'batch.test' }));
    await waitFor('a backlog over the watermark', () => ts!.server.backlog() > 64 * 1024);
    ws.resume();
    await waitFor(`all ${N} events`, () => got.length >= N, 30_000);
    expect(got).toHaveLength(N);
    expect(got.every((v, idx) => v === idx)).toBe(true);
    expect(batches).toBeGreaterThan(0);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });
});

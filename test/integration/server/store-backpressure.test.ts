import { describe, expect, it } from 'vitest';
import { connectReady, startTestServer, useTestServer, type TestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// A client publishing faster than the store writes must be slowed down, not
// queued in the daemon's memory without end: past `storeHighWater` events
// behind, its messages wait (and TCP pushes back) until the store catches up.

let ts: TestServer | null = null;
useTestServer();

describe('a store that falls behind', () => {
  it('holds clients’ events past the high water and lets them through, in order, as the store writes', async () => {
    // The store writes only when flushed: its backlog only grows until the test says so.
    ts = await startTestServer({ storeHighWater: 10 }, { batchMs: 30_000 });
    const server = ts;
    let maxBacklog = 0;
    server.bus.subscribe({}, () => {
      maxBacklog = Math.max(maxBacklog, server.bus.storeBacklog!());
    });
    const watcher = await connectReady(server.wsUrl('?source=pub'));
    const pub = await connectReady(server.wsUrl('?event_type=none'));

    const N = 40;
    for (let i = 0; i < N; i++) pub.send({ type: 'event', data: { source: 'pub', session_id: 's', event_type: 'x.burst', payload: { i } } });
    // Some get through at once; then the store is 10 behind and the rest wait.
    await waitFor('the first events', () => watcher.events().length > 0);
    await waitFor('the store backlog to reach the high water', () => server.bus.storeBacklog!() > 10);
    expect(watcher.events().length).toBeLessThan(N);

    // Each flush empties the store's queue; the held messages follow.
    while (watcher.events().length < N) {
      await server.store.flush();
      await new Promise((r) => setImmediate(r));
      await waitFor('the held events to move', () => watcher.events().length === N || server.bus.storeBacklog!() > 5);
    }
    expect(watcher.events().map((e: { payload: { i: number } }) => e.payload.i)).toEqual([...Array(N).keys()]);
    // One over the high water at most: the check comes before each message.
    expect(maxBacklog).toBeLessThanOrEqual(11);
    expect(pub.messages.filter((m) => m.type === 'error')).toEqual([]);
  });
});

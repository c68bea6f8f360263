import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hookEvent, startTestServer, waitUntil, type TestServer } from './helpers.js';

let ts: TestServer | null = null;
const clients: WebSocket[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  for (const s of sockets.splice(0)) s.destroy();
  await ts?.close();
  ts = null;
});

/** Does the WebSocket upgrade over raw TCP, then never reads again. */
function neverReadingSubscriber(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, '127.0.0.1', () => {
      sock.write(
        [
          'GET /events HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          '',
          '',
        ].join('\r\n'),
      );
    });
    sockets.push(sock);
    sock.on('error', () => {});
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        sock.off('data', onData);
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade failed: ${head}`));
        // From here on nothing is read: the kernel buffers fill, then the server's.
        sock.pause();
        resolve(sock);
      }
    };
    sock.on('data', onData);
  });
}

/**
 * A reader that keeps nothing but a count, so the memory figures are the
 * daemon's: it checks on the fly that events arrive in order, each once.
 */
interface Reader {
  ws: WebSocket;
  count: number;
  outOfOrder: number;
  batches: number;
}

function reader(url: string): Promise<Reader> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    clients.push(ws);
    const r: Reader = { ws, count: 0, outOfOrder: 0, batches: 0 };
    const take = (e: { payload: { i: number } }) => {
      if (e.payload.i !== r.count) r.outOfOrder++;
      r.count++;
    };
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type === 'initial') return resolve(r);
      if (m.type !== 'event') return;
      if (Array.isArray(m.data)) {
        r.batches++;
        m.data.forEach(take);
      } else take(m.data);
    });
    ws.once('error', reject);
  });
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

describe('slow consumer', () => {
  it('a subscriber that never reads is dropped while 100k events flow; every other subscriber receives every event', async () => {
    ts = await startTestServer();
    const TOTAL = 100_000;
    const good = [await reader(ts.wsUrl('?event_type=load.test')), await reader(ts.wsUrl('?event_type=load.test'))];
    await neverReadingSubscriber(ts.server.port);
    await waitUntil(() => ts!.server.clientCount() === 3, 'three connections');
    const watcher = ts.bus.history({ event_type: 'ws.disconnected' }).events.length;
    expect(watcher).toBe(0);

    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    let peakBacklog = 0;
    const base = hookEvent(0);
    const t0 = Date.now();
    for (let i = 0; i < TOTAL; i++) {
      const r = ts.bus.publish({ ...base, event_type: 'load.test', payload: { ...base.payload, i } });
      if (!r.ok) throw new Error(r.error.error_message);
      if (i % 1000 === 999) {
        // Let sockets and the store work, and keep the producer within reach of the readers.
        await new Promise((r) => setImmediate(r));
        await waitUntil(() => good.every((c) => c.count >= i - 20_000), 'the readers to keep up', 30_000);
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakBacklog = Math.max(peakBacklog, ts.server.backlog());
        if (i % 10_000 === 9999) console.log(`${i + 1} published, readers at ${good.map((c) => c.count).join('/')}, clients ${ts.server.clientCount()}, backlog ${mb(ts.server.backlog())}, store pending ${ts.store.pending()}, heap ${mb(process.memoryUsage().heapUsed)}, ${Date.now() - t0} ms`);
      }
    }
    await waitUntil(() => good.every((c) => c.count >= TOTAL), 'every event at both readers', 60_000);
    await waitUntil(() => ts!.server.clientCount() === 2, 'the slow subscriber to be dropped');
    global.gc?.();
    const after = process.memoryUsage();

    for (const c of good) {
      // In order, each exactly once.
      expect(c.count).toBe(TOTAL);
      expect(c.outOfOrder).toBe(0);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    }
    await ts.store.flush();
    const dropped = ts.bus.history({ event_type: 'ws.disconnected' }).events.map((e) => e.event.payload);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ code: 1013 });
    expect(String(dropped[0]!.reason)).toMatch(/slow consumer/);
    const batches = good.map((c) => c.batches);

    console.log(
      [
        `slow consumer: ${TOTAL} events to 2 readers + 1 never-reading subscriber (dropped)`,
        `  rss        before ${mb(before.rss)}  peak ${mb(peakRss)}  after ${mb(after.rss)}`,
        `  heapUsed   before ${mb(before.heapUsed)}  peak ${mb(peakHeap)}  after ${mb(after.heapUsed)}`,
        `  ${Date.now() - t0} ms in all (publisher, daemon and readers share this one process)`,
        `  peak backlog to clients ${mb(peakBacklog)} (hard limit per client 16 MB); batch messages to the readers: ${batches.join(', ')}`,
      ].join('\n'),
    );
    // Bounded: the dropped subscriber's queue is gone with it.
    expect(ts.server.backlog()).toBeLessThan(2 * 1024 * 1024);
  }, 180_000);
});

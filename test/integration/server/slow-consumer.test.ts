import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hookEvent } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const children: ChildProcess[] = [];
const clients: WebSocket[] = [];
const sockets: Socket[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Memory {
  rss: number;
  heap_used: number;
  external: number;
}

interface Daemon {
  port: number;
  /** Memory after a full GC in the daemon. */
  memory(): Promise<Memory>;
}

/** The daemon (bus, SQLite store, server) in its own process, so its memory is its own. */
function startDaemon(stateDir: string): Promise<Daemon> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', './test/fixtures/ts-register.mjs', 'test/fixtures/server-daemon.ts', stateDir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    const memWaiters: ((m: Memory) => void)[] = [];
    child.stderr!.on('data', (c) => (err += c));
    child.stdout!.on('data', (c) => {
      out += c;
      let m: RegExpExecArray | null;
      while ((m = /MEM (\{.*\})\n/.exec(out))) {
        out = out.slice(m.index + m[0].length);
        memWaiters.shift()?.(JSON.parse(m[1]!) as Memory);
      }
      const p = /PORT (\d+)\n/.exec(out);
      if (p) {
        out = out.slice(p.index + p[0].length);
        res({
          port: Number(p[1]),
          memory: () =>
            new Promise((r) => {
              memWaiters.push(r);
              child.stdin!.write('mem\n');
            }),
        });
      }
    });
    child.on('exit', (code) => rej(new Error(`the server fixture exited (${code}): ${err}`)));
  });
}

/** Does the WebSocket upgrade over raw TCP, then never reads again. */
function neverReadingSubscriber(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, '127.0.0.1', () => {
      sock.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    sockets.push(sock);
    sock.on('error', () => {});
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        sock.off('data', onData);
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade failed: ${head}`));
        // From here on nothing is read: the kernel buffers fill, then the daemon's.
        sock.pause();
        resolve(sock);
      }
    };
    sock.on('data', onData);
  });
}

/** A reader that keeps only a count, checking on the fly that events arrive in order, each once. */
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

interface Health {
  connections: unknown[];
  memory: Memory;
  backlog_bytes: number;
  store_pending: number;
}

const health = async (base: string) => (await (await fetch(`${base}/health`)).json()) as Health;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

describe('slow consumer', () => {
  it('a subscriber that never reads is dropped while 100k events flow; every other subscriber receives every event; the daemon memory stays bounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-slow-'));
    dirs.push(dir);
    const daemon = await startDaemon(dir);
    const port = daemon.port;
    const base = `http://127.0.0.1:${port}`;
    const TOTAL = 100_000;
    const CHUNK = 100;
    const good = [await reader(`ws://127.0.0.1:${port}/events?event_type=load.test`), await reader(`ws://127.0.0.1:${port}/events?event_type=load.test`)];
    await neverReadingSubscriber(port);
    const publisher = new WebSocket(`ws://127.0.0.1:${port}/events?event_type=none`);
    clients.push(publisher);
    await new Promise((r) => publisher.once('open', r));
    await waitFor('four connections', async () => (await health(base)).connections.length === 4);

    const before = await daemon.memory();
    let peakRss = before.rss;
    let peakHeap = before.heap_used;
    let peakBacklog = 0;
    const t0 = Date.now();
    const template = hookEvent(0, { event_type: 'load.test' });
    for (let sent = 0; sent < TOTAL; sent += CHUNK) {
      const batch = Array.from({ length: CHUNK }, (_, k) => ({ ...template, payload: { ...template.payload, i: sent + k } }));
      publisher.send(JSON.stringify({ type: 'event', data: batch }));
      if (sent % 5000 === 0) {
        // Keep the producer within reach of the readers (the never-reader is not waited for).
        await waitFor('the readers to keep up', () => good.every((c) => c.count >= sent - 20_000), 60_000);
        const h = await health(base);
        peakRss = Math.max(peakRss, h.memory.rss);
        peakHeap = Math.max(peakHeap, h.memory.heap_used);
        peakBacklog = Math.max(peakBacklog, h.backlog_bytes);
      }
    }
    await waitFor('every event at both readers', () => good.every((c) => c.count >= TOTAL), 120_000);
    await waitFor('the never-reader to be dropped', async () => (await health(base)).connections.length === 3, 30_000);
    // Memory is judged once the store has caught up: what it still has to write is live, not kept.
    await waitFor('the store to commit every event', async () => (await health(base)).store_pending === 0, 60_000);
    const after = await health(base);
    // The dropped socket's buffers are freed once its handle closes: poll (with GC) until they are.
    let afterGc = await daemon.memory();
    await waitFor('the dropped socket buffers to be freed', async () => (afterGc = await daemon.memory()).external < before.external + 8 * 1024 * 1024, 20_000);
    const elapsed = Date.now() - t0;

    for (const c of good) {
      expect(c.count).toBe(TOTAL);
      expect(c.outOfOrder).toBe(0);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    }
    const disconnected = (await (await fetch(`${base}/events?event_type=ws.disconnected`)).json()) as { events: { payload: { code: number; reason: string } }[] };
    expect(disconnected.events).toHaveLength(1);
    expect(disconnected.events[0]!.payload).toMatchObject({ code: 1013 });
    expect(disconnected.events[0]!.payload.reason).toMatch(/slow consumer/);

    console.log(
      [
        `slow consumer: ${TOTAL} events (~${JSON.stringify(template).length} B each) published over WebSocket to 2 readers + 1 never-reading subscriber, which was dropped`,
        `  daemon rss       before ${mb(before.rss)}  peak ${mb(peakRss)}  after (GC) ${mb(afterGc.rss)}   (the baseline includes the test-only TypeScript loader)`,
        `  daemon heapUsed  before ${mb(before.heap_used)}  peak ${mb(peakHeap)}  after (GC) ${mb(afterGc.heap_used)}   external (buffers) before ${mb(before.external)}  after (GC) ${mb(afterGc.external)}`,
        `  daemon backlog to clients: peak ${mb(peakBacklog)} (per-client hard limit 16 MB), after ${mb(after.backlog_bytes)}; batch messages to the readers: ${good.map((c) => c.batches).join(', ')}; ${elapsed} ms`,
      ].join('\n'),
    );
    // Bounded: what the daemon holds for clients is gone with the dropped one.
    expect(after.backlog_bytes).toBeLessThan(2 * 1024 * 1024);
    expect(afterGc.heap_used - before.heap_used).toBeLessThan(16 * 1024 * 1024);
  }, 300_000);
});

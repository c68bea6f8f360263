import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bin, cli, project, running } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { connect, type TestClient } from './helpers.js';

// Hostile local clients against a real daemon (`corral up -d`, built CLI):
// nothing they send may take it down or make it hold unbounded memory.

let p: ReturnType<typeof project>;
let pid = 0;
let port = 0;
const opened: Array<{ close(): void }> = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  p = project('version: 1\nbus: { port: 0, rate_limit: { rate: 100000, burst: 200000 } }\nresources: { enabled: false }\ncomponents: {}\n');
  const up = await cli(['up', '-d'], p.dir);
  expect(up.code, up.stderr).toBe(0);
  const info = JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number; port: number };
  pid = info.pid;
  port = info.port;
}, 60_000);

afterAll(async () => {
  // A daemon that died says why in its log.
  if (pid && !running(pid)) console.log(readFileSync(join(p.dir, '.corral', 'logs', 'corral.log'), 'utf8').slice(-4000));
  for (const c of opened) c.close();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await p.cleanup();
}, 60_000);

const base = () => `http://127.0.0.1:${port}`;
const list = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(',');

async function post(events: unknown): Promise<Response> {
  return fetch(`${base()}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
}

async function alive(): Promise<void> {
  expect(running(pid)).toBe(true);
  const res = await fetch(`${base()}/health`);
  expect(res.status).toBe(200);
}

/** The status and body of a refused WebSocket upgrade. */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`the upgrade of ${url.slice(0, 100)}… was accepted`));
    });
    ws.on('error', () => {});
  });
}

function rssBytes(): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

describe('a long filter does not take the daemon down', () => {
  it('1,000 event types in the upgrade query are accepted and delivered; 1,001 are a 400 naming the limit', async () => {
    const c = await connect(`ws://127.0.0.1:${port}/events?event_type=${list(1000, (i) => `t${i}`)}`);
    opened.push(c);
    await c.waitFor((m) => m.type === 'initial', 'initial');
    expect((await post({ event_type: 't999', source: 'hostile', session_id: 's', payload: {} })).status).toBe(202);
    await c.waitFor((m) => m.type === 'event' && m.data.event_type === 't999', 'the t999 event');
    const refused = await refusedUpgrade(`ws://127.0.0.1:${port}/events?event_type=${list(1001, (i) => `t${i}`)}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('at most 1000');
    await alive();
  });

  it('1,000 prefixes in a subscribe run (one json_each lookup); 40,000 sources are a WS003 naming the limit', async () => {
    const c = await connect(`ws://127.0.0.1:${port}/events`);
    opened.push(c);
    await c.waitFor((m) => m.type === 'initial', 'first initial');
    c.send({ type: 'subscribe', data: { source: list(40_000, (i) => `s${i}`) } });
    const err = await c.waitFor((m) => m.type === 'error', 'the refusal');
    expect(err.data.error_code).toBe('WS003');
    expect(err.data.error_message).toContain('data.source: 268889 bytes; a filter field may hold at most 65536 bytes');
    c.send({ type: 'subscribe', data: { session_id: list(1001, (i) => `s${i}`) } });
    const err2 = await c.waitFor((m) => m.type === 'error' && m !== err, 'the second refusal');
    expect(err2.data.error_message).toContain('data.session_id: 1001 values; a filter field may list at most 1000');
    c.send({ type: 'subscribe', data: { event_type: list(1000, (i) => `p${i}.*`), after: 0 } });
    await c.waitFor((m) => m.type === 'initial' && c.messages.filter((x) => x.type === 'initial').length === 2, 'the second initial');
    expect((await post({ event_type: 'p512.done', source: 'hostile', session_id: 's', payload: {} })).status).toBe(202);
    await c.waitFor((m) => m.type === 'event' && m.data.event_type === 'p512.done', 'the p512.done event');
    await alive();
  });

  it('GET /events takes 1,000 terms and refuses 1,001 with a 400 naming the limit', async () => {
    const ok = await fetch(`${base()}/events?event_type=${list(1000, (i) => `t${i}`)}&limit=5`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { events: { event_type: string }[] };
    expect(body.events.map((e) => e.event_type)).toContain('t999');
    const big = await fetch(`${base()}/events?source=${list(1001, (i) => `s${i}`)}`);
    expect(big.status).toBe(400);
    expect(await big.text()).toContain('source: 1001 values; a filter field may list at most 1000');
    await alive();
  });

  it('corral events -f -n 0 --type with 1,000 types follows the live tail', async () => {
    const child = spawn(process.execPath, [bin, 'events', '-f', '-n', '0', '--json', '--type', list(1000, (i) => `t${i + 1}`)], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // Published until the tail shows one: the tail may subscribe after the first post.
    await waitFor('the event in corral events -f', async () => {
      await post({ event_type: 't1000', source: 'hostile', session_id: 's', payload: { mark: 'tail' } });
      return out;
    }, (o) => o.includes('"mark":"tail"'), 30_000);
    child.kill('SIGTERM');
    await alive();
  }, 60_000);
});

describe('replays count against the daemon-wide budget', () => {
  it('40 clients that ask for a replay and never read keep the daemon under 300 MB; a reader still gets every event', async () => {
    // ~88 MB of history: 480 events of ~184 KB (three 60 KiB fields each).
    const field = 'x'.repeat(60 * 1024);
    for (let i = 0; i < 480; i += 4) {
      const batch = Array.from({ length: 4 }, (_, k) => ({ event_type: 'bulk', source: 'hostile', session_id: 's', payload: { i: i + k, a: field, b: field, c: field } }));
      const res = await post(batch);
      expect(res.status).toBe(202);
    }
    const reader: TestClient = await connect(`ws://127.0.0.1:${port}/events?event_type=live`);
    opened.push(reader);
    await reader.waitFor((m) => m.type === 'initial', 'the reader initial');
    const before = rssBytes();
    let peak = before;
    const sampler = setInterval(() => {
      if (running(pid)) peak = Math.max(peak, rssBytes());
    }, 20);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const s = netConnect(port, '127.0.0.1');
        sockets.push(s);
        opened.push({ close: () => s.destroy() });
        s.on('error', () => {});
        // An upgrade asking for the whole history, then never a byte read.
        s.write(`GET /events?after=0 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from(`k${i}`.padEnd(16, '-')).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
        s.pause();
      }
      await waitFor('40 clients connected', async () => ((await (await fetch(`${base()}/health`)).json()) as { connections: unknown[] }).connections.length, (n) => n >= 41, 30_000);
      for (let i = 0; i < 200; i++) expect((await post({ event_type: 'live', source: 'hostile', session_id: 's', payload: { i } })).status).toBe(202);
      await waitFor('the reader got all 200 live events', () => reader.events().length, (n) => n >= 200, 30_000);
      // The pages the never-readers were given wait in the daemon's buffers now.
      await new Promise((r) => setTimeout(r, 500));
      await alive();
    } finally {
      clearInterval(sampler);
      for (const s of sockets) s.destroy();
    }
    console.log(`40 never-reading replay clients: daemon RSS before ${(before / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB`);
    expect(reader.events().map((e) => e.payload.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(peak).toBeLessThan(300 * 2 ** 20);
    expect(peak - before).toBeLessThan(150 * 2 ** 20);
  }, 120_000);
});

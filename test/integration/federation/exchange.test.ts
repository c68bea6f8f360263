import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cli, killMarked, project, ps } from '../daemon/helpers.js';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';

// Two daemons (hosts a and b) federated over a real `nats-server -js`: events
// both ways, live and in history, never looping; store and forward across a
// NATS restart and a daemon restart; NAME@HOST; ps --all-hosts.

interface Ev {
  id: string;
  event_type: string;
  host?: string;
  session_id: string;
  payload: Record<string, unknown>;
}
interface Fed {
  state: string;
  host?: string;
  backlog?: number;
  last_error?: string;
}

const marker = `corral-test-${randomUUID()}`;
const run = randomUUID();
const cleanups: Array<() => Promise<void> | void> = [];
let nats: NatsServer;

const config = (host: string, url: string) => `version: 1
bus: { port: 0 }
resources: { enabled: false }
federation: { nats: "${url}", host: ${host} }
components:
  web:
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    env: { MARK: "${marker}" }
    ready_after: 0s
    stop: { timeout: 2s }
`;

function hostIn(dir: string) {
  const base = () => `http://127.0.0.1:${(JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')) as { port: number }).port}`;
  return {
    dir,
    base,
    cli: (args: string[]) => cli(args, dir),
    async health(): Promise<Fed> {
      const res = await fetch(`${base()}/health`);
      return ((await res.json()) as { federation: Fed }).federation;
    },
    async events(q: Record<string, string>): Promise<Ev[]> {
      const res = await fetch(`${base()}/events?${new URLSearchParams({ limit: '1000', ...q }).toString()}`);
      return ((await res.json()) as { events: Ev[] }).events;
    },
    async post(n: number, from: number): Promise<string[]> {
      const body = Array.from({ length: n }, (_, i) => ({ source: 'fed-test', session_id: run, event_type: 'fed.exchange', payload: { n: from + i } }));
      const res = await fetch(`${base()}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
      return ((await res.json()) as { ids: string[] }).ids;
    },
  };
}
type Host = ReturnType<typeof hostIn>;

async function up(host: string): Promise<Host> {
  const p = project(config(host, nats.url));
  cleanups.push(p.cleanup);
  const r = await cli(['up', '-d'], p.dir);
  expect(r.code, r.stderr).toBe(0);
  return hostIn(p.dir);
}

const state = (h: Host, want: string) => waitFor(`federation ${want} on ${h.dir}`, () => h.health(), (f) => f.state === want, 30_000);
const fromA = (h: Host) => h.events({ host: 'a', event_type: 'fed.exchange', session_id: run });

let a: Host;
let b: Host;

describe('federation: two hosts over nats-server -js', () => {
  beforeAll(async () => {
    nats = await startNatsServer();
    cleanups.push(() => nats.cleanup(), () => killMarked(marker));
    a = await up('a');
    b = await up('b');
    await state(a, 'connected');
    await state(b, 'connected');
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  }, 120_000);

  it('an event of a reaches b live (WS ?host=a) and in history (GET /events?host=a), same id and host a, stored once, never re-published', { timeout: 60_000 }, async () => {
    const ws = new WebSocket(`${b.base().replace('http', 'ws')}/events?host=a&event_type=fed.exchange`);
    const live: Ev[] = [];
    ws.on('message', (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as { type: string; data: Ev | Ev[] };
      if (m.type === 'event') live.push(...(Array.isArray(m.data) ? m.data : [m.data]));
    });
    await new Promise((r) => ws.once('open', r));
    try {
      const [id] = await a.post(1, 0);
      const seen = await waitFor('b\'s WebSocket subscriber to get a\'s event', () => live.find((e) => e.id === id), 30_000);
      expect(seen.host).toBe('a');
      const atB = await fromA(b);
      expect(atB.map((e) => e.id)).toEqual([id]);
      // On a it carries a's host; b's own events carry b's.
      expect((await a.events({ event_type: 'fed.exchange', session_id: run })).map((e) => [e.id, e.host])).toEqual([[id, 'a']]);
      expect((await b.events({ host: 'b', limit: '5' })).every((e) => e.host === 'b')).toBe(true);
      // b forwarded everything of its own and nothing of a's: the stream holds the event once, under a's subject only.
      await waitFor('b to have nothing left to forward', () => b.health(), (f) => f.backlog === 0);
      const nc = await connect({ servers: nats.url });
      try {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.streams.info('CORRAL', { subjects_filter: 'corral.*.fed.exchange' });
        expect(info.state.subjects).toEqual({ 'corral.a.fed.exchange': 1 });
      } finally {
        await nc.close();
      }
    } finally {
      ws.close();
    }
  });

  it('store and forward: while NATS is down a keeps its events across its own restart, then b gets them all, in order; NAME@HOST fails clearly meanwhile', { timeout: 180_000 }, async () => {
    await nats.stop();
    await state(a, 'disconnected');
    const before = await a.post(5, 100);
    const refused = await a.cli(['restart', 'web@b']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot reach host b: NATS is (disconnected|connecting) \(nats:\/\/127\.0\.0\.1:\d+\)/);
    expect((await a.health()).backlog).toBeGreaterThanOrEqual(5);

    // a restarts while NATS is still down: what it had to forward is still waiting.
    expect((await a.cli(['down'])).code).toBe(0);
    const again = await a.cli(['up', '-d']);
    expect(again.code, again.stderr).toBe(0);
    const after = await a.post(5, 105);
    expect((await a.health()).backlog).toBeGreaterThanOrEqual(10);

    await nats.restart();
    await state(a, 'connected');
    const got = await waitFor('b to get the 10 events a kept', () => b.events({ host: 'a', event_type: 'fed.exchange', session_id: run }), (l) => l.filter((e) => (e.payload.n as number) >= 100).length >= 10, 60_000);
    const kept = got.filter((e) => (e.payload.n as number) >= 100);
    expect(kept.map((e) => e.id)).toEqual([...before, ...after]);
    expect(kept.map((e) => e.payload.n)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    await waitFor('a to have forwarded everything', () => a.health(), (f) => f.backlog === 0);
  });

  it('`corral restart web@b` from a restarts web on b (new pid)', { timeout: 90_000 }, async () => {
    await state(a, 'connected');
    const pid = (await waitFor('web running on b', () => ps(b.dir), (l) => l.some((c) => c.name === 'web' && c.pid !== null))).find((c) => c.name === 'web')!.pid;
    const r = await a.cli(['restart', 'web@b']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('web@b: restarted\n');
    const now = (await ps(b.dir)).find((c) => c.name === 'web')!;
    expect(now.pid).not.toBeNull();
    expect(now.pid).not.toBe(pid);
    const unknown = await a.cli(['restart', 'web@nosuchhost']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/cannot reach host nosuchhost/);
  });

  it('`corral ps --all-hosts` lists both hosts with their tables', { timeout: 60_000 }, async () => {
    const json = await waitFor(
      'a to know b\'s table',
      async () => JSON.parse((await a.cli(['ps', '--all-hosts', '--json'])).stdout || '[]') as { host: string; components: { name: string }[] }[],
      (l) => l.some((h) => h.host === 'b'),
    );
    expect(json.map((h) => h.host).sort()).toEqual(['a', 'b']);
    for (const h of json) expect(h.components.map((c) => c.name)).toEqual(['web']);
    const text = await a.cli(['ps', '--all-hosts']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^HOST\s+AGE\s+NAME\s+STATE/);
    expect(text.stdout).toMatch(/^a\s+now\s+web\s+running/m);
    expect(text.stdout).toMatch(/^b\s+\S+ ago\s+web\s+running/m);
    const plain = await a.cli(['ps']);
    expect(plain.stdout).toMatch(/^federation: host a, connected to nats:\/\/127\.0\.0\.1:\d+$/m);
  });
});

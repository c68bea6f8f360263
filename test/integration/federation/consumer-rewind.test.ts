import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEntry, PublishResult } from '../../../src/bus/types.js';
import type { FederationConfig } from '../../../src/config/federation-schema.js';
import { startConsumer, type EventConsumer } from '../../../src/federation/consumer.js';
import { ensureConsumer, rewindConsumer } from '../../../src/federation/stream.js';
import { startNatsServer, stopAllNatsServers } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';

// src/federation/consumer.ts's rewinds against a real nats-server, with a bus
// and a store the test stands in for (what is published, what the store does
// with each write), so each case can be put exactly where it happens.

const clients: NatsConnection[] = [];
const consumers: EventConsumer[] = [];
afterEach(async () => {
  for (const c of consumers.splice(0)) await c.stop();
  for (const nc of clients.splice(0)) await nc.close().catch(() => {});
  await stopAllNatsServers();
});

const cfg = { host: 'b', stream: 'CORRAL', subject_prefix: 'corral' } as FederationConfig;

async function as(url: string, user: string, pass: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, user, pass });
  clients.push(nc);
  return nc;
}

/**
 * A server whose user `b` may do everything but delete consumers (`deleting`: it may do that too); the stream holds
 * events #0..#n-1 of host a. `ackWaitMs`: b's durable consumer redelivers after that instead of corral's 30 s.
 */
async function serverWithEvents(n: number, deleting = true, ackWaitMs?: number) {
  const users = [
    { user: 'admin', password: 'admin-pw' },
    { user: 'b', password: 'b-pw', permissions: deleting ? undefined : { publish: { deny: ['$JS.API.CONSUMER.DELETE.>'] } } },
  ];
  const s = await startNatsServer({ users });
  const admin = await as(s.url, 'admin', 'admin-pw');
  await (await jetstreamManager(admin)).streams.add({ name: 'CORRAL', subjects: ['corral.*.>'] });
  const js = jetstream(admin);
  for (let i = 0; i < n; i++) await js.publish('corral.a.fed.test', JSON.stringify({ id: `e${i}`, event_type: 'fed.test', payload: { i } }), { msgID: `e${i}` });
  const b = await as(s.url, 'b', 'b-pw');
  const jsm = await jetstreamManager(b, { timeout: 3000 });
  if (ackWaitMs) await jsm.consumers.add('CORRAL', { durable_name: 'corral-b', ack_policy: AckPolicy.Explicit, filter_subject: 'corral.*.>', ack_wait: ackWaitMs * 1_000_000 });
  else await ensureConsumer(jsm, cfg);
  return { js: jetstream(b, { timeout: 3000 }), jsm };
}

/** The bus and store of host b: `write(i)` decides what the store does with event #i (default: it is stored). */
function fakeDaemon(write: (i: number) => Promise<void> = () => Promise.resolve()) {
  const stored = new Set<string>();
  const order: number[] = [];
  const log: string[] = [];
  const logger = {
    debug: () => {},
    info: (m: string) => log.push(m),
    warn: (m: string) => log.push(m),
    error: (m: string) => log.push(m),
  };
  const bus = {
    publishForeign(input: unknown): PublishResult {
      const e = input as { id: string; payload: { i: number } };
      const done = write(e.payload.i).then(() => {
        stored.add(e.id);
        order.push(e.payload.i);
      });
      return { ok: true, entry: { event: e } as unknown as BusEntry, stored: done };
    },
  };
  return { bus, store: { hasId: (id: string) => stored.has(id) }, logger, order, log };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const rewinds = (log: string[]) => log.filter((l) => l.includes('consuming again after')).length;

describe('the federation consumer rewinds to its ack floor', () => {
  it('keeps consuming when its account may not delete its consumer (docs/federation.md before the rewind), and says why', { timeout: 90_000 }, async () => {
    // ack_wait 2 s: the redeliveries this host must live with come in seconds, not corral's 30.
    const { js, jsm } = await serverWithEvents(20, false, 2000);
    // Deliveries #0..#4 taken by a daemon that died before acknowledging them.
    const c = await js.consumers.get('CORRAL', 'corral-b');
    for (let i = 0; i < 5; i++) expect(await c.next({ expires: 5000 })).not.toBeNull();

    const d = fakeDaemon();
    consumers.push(startConsumer(js, { ...d, host: 'b', stream: 'CORRAL', prefix: 'corral', rewind: (k) => rewindConsumer(jsm, cfg, k), watchdogMs: 500 }));
    // The 5 come again after ack_wait, behind the others: out of order, but every one.
    await waitFor('every event stored', () => [...d.order].sort((x, y) => x - y), (o) => o.length === 20, { timeoutMs: 30_000, everyMs: 200, detail: () => d.log });
    expect([...d.order].sort((x, y) => x - y)).toEqual(range(20));
    const said = d.log.filter((l) => /may not delete/.test(l));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('$JS.API.CONSUMER.DELETE.CORRAL.corral-b');
  });

  it('a store write that keeps failing rewinds every 2 s, not in a loop as fast as NATS answers', { timeout: 60_000 }, async () => {
    const { js, jsm } = await serverWithEvents(5);
    const d = fakeDaemon(() => Promise.reject(new Error('disk I/O error')));
    consumers.push(startConsumer(js, { ...d, host: 'b', stream: 'CORRAL', prefix: 'corral', rewind: (k) => rewindConsumer(jsm, cfg, k) }));
    await waitFor('a first rewind', () => rewinds(d.log), (n) => n >= 1, 20_000);
    const first = rewinds(d.log);
    await new Promise((r) => setTimeout(r, 3000));
    // At most two more in 3 s (one at once may have been under way); without a pause, dozens.
    expect(rewinds(d.log) - first).toBeLessThanOrEqual(2);
  });

  it('a store write that fails while the loop sets up its next pull still makes it start over: every event is stored', { timeout: 60_000 }, async () => {
    const { js, jsm } = await serverWithEvents(10);
    // Event #3's first write stays pending; #5's first fails (the loop starts over); #3's then fails exactly while
    // the next consume() is being set up, after the rewind.
    let failPending: (() => void) | null = null;
    const tries = new Map<number, number>();
    const d = fakeDaemon((i) => {
      const n = (tries.get(i) ?? 0) + 1;
      tries.set(i, n);
      if (i === 3 && n === 1) return new Promise((_, reject) => (failPending = () => reject(new Error('database is locked'))));
      if (i === 5 && n === 1) return Promise.reject(new Error('database is locked'));
      return Promise.resolve();
    });
    let consumes = 0;
    const wrapped = {
      consumers: {
        get: async (stream: string, name: string) => {
          const real = await js.consumers.get(stream, name);
          return new Proxy(real, {
            get(target, prop, receiver) {
              if (prop !== 'consume') return Reflect.get(target, prop, receiver) as unknown;
              return async (opts: unknown) => {
                if (++consumes === 2 && failPending) {
                  failPending();
                  await new Promise((r) => setImmediate(r));
                }
                return target.consume(opts as Parameters<typeof target.consume>[0]);
              };
            },
          });
        },
      },
    } as unknown as JetStreamClient;
    consumers.push(startConsumer(wrapped, { ...d, host: 'b', stream: 'CORRAL', prefix: 'corral', rewind: (k) => rewindConsumer(jsm, cfg, k), watchdogMs: 500 }));
    await waitFor('every event stored', () => d.order, (o) => o.length === 10, { timeoutMs: 20_000, everyMs: 100, detail: () => ({ log: d.log, consumes }) });
    expect([...d.order].sort((x, y) => x - y)).toEqual(range(10));
    expect(consumes).toBeGreaterThanOrEqual(3);
  });
});

describe('rewindConsumer', () => {
  it('rewound again before anything was acknowledged, starts where the last rewind did, not at the stream\'s start', { timeout: 30_000 }, async () => {
    const { js, jsm } = await serverWithEvents(10);
    const c = await js.consumers.get('CORRAL', 'corral-b');
    for (let i = 0; i < 5; i++) (await c.next({ expires: 5000 }))!.ack();
    await waitFor('the ack floor at stream message 5', async () => (await c.info()).ack_floor.stream_seq, (s) => s === 5);
    expect(await rewindConsumer(jsm, cfg, 0)).toBe(5);
    // One delivery, never acknowledged (the store write failed, the daemon was killed): the next rewind.
    const first = await (await js.consumers.get('CORRAL', 'corral-b')).next({ expires: 5000 });
    expect(first?.seq).toBe(6);
    expect(await rewindConsumer(jsm, cfg, 0)).toBe(5);
    const again = await (await js.consumers.get('CORRAL', 'corral-b')).next({ expires: 5000 });
    expect(again?.seq).toBe(6);
  });
});

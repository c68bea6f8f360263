import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { cli } from '../daemon/helpers.js';
import { hostOf, numbers, range, startHost, testEvent, waitForState, type Host, useFederationCleanups } from './helpers.js';

// Drains that stop half-way must resume. 1) The store refuses a write
// mid-drain (busy, as under heavy load: another writer held the database past
// its busy timeout): the forwarder's pass threw and nothing started it again.
// 2) The durable consumer vanishes under a connected daemon: the client's
// consume loop waits for it for ever. 3) A drain that NATS interrupts: a backlog of a few thousand events on host a
// starts to flow to host b when nats-server returns, then nats-server is frozen
// (SIGSTOP) until both daemons see their connection go stale, and thawed
// (SIGCONT). Publishes time out and acks are lost mid-batch; pull requests
// vanish. The forwarder and the consumer must both resume: every event
// arrives at b, once, in order.

const cleanups = useFederationCleanups();

const N = 3000;

/** Posts test events #first..#first+n-1 to `h`, 200 per request, one request after another. */
async function postBatches(h: Host, first: number, n: number, run: string): Promise<void> {
  for (let i = first; i < first + n; i += 200) await h.post(range(i, Math.min(200, first + n - i)).map((k) => testEvent('a', k, run)));
}

const count = async (h: Host, run: string): Promise<number> => {
  const res = await fetch(`${h.url}/events?host=a&session_id=${run}&event_type=fed.test&order=desc&limit=1`);
  const body = (await res.json()) as { events: Array<{ payload: { i: number } }> };
  return body.events[0]?.payload.i ?? -1;
};

function freeze(nats: NatsServer, signal: 'SIGSTOP' | 'SIGCONT'): void {
  if (nats.running && nats.pid !== undefined) process.kill(nats.pid, signal);
}

/** One nats-server and two connected hosts a and b (`federation` keys for both, as in HostOptions). */
async function twoHosts(federation?: string) {
  const marker = `corral-test-${randomUUID()}`;
  const nats = await startNatsServer({ marker });
  cleanups.push(() => nats.cleanup());
  // A frozen server would not end on SIGTERM: thaw it first, whatever happened.
  cleanups.push(() => freeze(nats, 'SIGCONT'));
  const a = await startHost({ host: 'a', nats: nats.url, marker, cleanups, federation });
  const b = await startHost({ host: 'b', nats: nats.url, marker, cleanups, federation });
  await waitForState(a, 'connected');
  await waitForState(b, 'connected');
  return { nats, a, b, run: randomUUID() };
}

const detail = (a: Host, b: Host) => () => `a: ${a.log().slice(-1500)}\nb: ${b.log().slice(-1500)}`;

describe('a drain that stops half-way resumes', () => {
  it('the store refuses a write mid-drain (database locked past its busy timeout): the forwarder starts again', { timeout: 300_000 }, async () => {
    const { nats, a, b, run } = await twoHosts();
    await nats.stop();
    await waitForState(a, 'disconnected');
    await postBatches(a, 0, 1000, run);

    // Another writer holds a's database: the forwarder's first cursor update waits 5 s and fails.
    const db = new Database(join(a.dir, '.corral', 'events.db'));
    cleanups.push(() => void (db.open && db.close()));
    db.exec('BEGIN IMMEDIATE');
    await nats.restart();
    await waitFor('a to say the forwarding stopped on the locked database', () => a.log(), (log) => /database is locked/i.test(log), { timeoutMs: 60_000, detail: detail(a, b) });
    db.exec('COMMIT');
    db.close();

    await waitFor(`b to hold a's newest event (#999)`, () => count(b, run), (i) => i === 999, { timeoutMs: 60_000, everyMs: 200, detail: detail(a, b) });
    const got = await b.events({ host: 'a', event_type: 'fed.test', session_id: run });
    expect(numbers(got)).toEqual(range(0, 1000));
  });

  it('the durable consumer is deleted under a connected daemon: it is made again and the events arrive', { timeout: 300_000 }, async () => {
    const { nats, a, b, run } = await twoHosts();
    await postBatches(a, 0, 10, run);
    await waitFor('b to hold the first 10 events', () => count(b, run), (i) => i === 9, { timeoutMs: 60_000, detail: detail(a, b) });

    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      // nats-server 2.9 can refuse a delete that races the consumer's own writes ("unlinkat …: directory not empty"): again.
      await waitFor(
        'the durable consumer corral-b to be deleted',
        () => jsm.consumers.delete('CORRAL', 'corral-b').catch((err: Error) => (/directory not empty/.test(err.message) ? false : Promise.reject(err))),
        (deleted) => deleted,
        { timeoutMs: 10_000, everyMs: 100 },
      );
    } finally {
      await nc.close();
    }
    await postBatches(a, 10, 10, run);
    await waitFor(`b to hold a's newest event (#19)`, () => count(b, run), (i) => i === 19, { timeoutMs: 120_000, everyMs: 200, detail: detail(a, b) });
    const got = await b.events({ host: 'a', event_type: 'fed.test', session_id: run });
    expect(numbers(got)).toEqual(range(0, 20));
  });

  it('resumes after nats-server is frozen mid-drain until the connections go stale: every event arrives at b, once, in order', { timeout: 300_000 }, async () => {
    // Pings every second: a connection is stale after 2–3 s of silence, not 20–30 (the default 10 s).
    const { nats, a, b, run } = await twoHosts('ping_interval: 1s');
    await nats.stop();
    await waitForState(a, 'disconnected');
    await postBatches(a, 0, N, run);
    await nats.restart();

    // The drain is under way: b holds some of the backlog, not all of it.
    await waitFor('b to hold the first events of the backlog', () => count(b, run), (i) => i >= 0, 60_000);
    freeze(nats, 'SIGSTOP');
    try {
      await waitForState(a, 'disconnected', 90_000);
      await waitForState(b, 'disconnected', 90_000);
    } finally {
      freeze(nats, 'SIGCONT');
    }

    await waitFor(`b to hold a's newest event (#${N - 1})`, () => count(b, run), (i) => i === N - 1, { timeoutMs: 120_000, everyMs: 200, detail: detail(a, b) });
    await waitFor("a's backlog to drain", async () => (await a.health()).federation!.backlog, (n) => n === 0, 60_000);
    const got = await b.events({ host: 'a', event_type: 'fed.test', session_id: run });
    // Every event, once, in order: deliveries lost with b's stale connection would otherwise come again only after
    // ack_wait, behind newer ones (seen before src/federation/consumer.ts rewound: 157–159 after 391).
    expect(numbers(got)).toEqual(range(0, N));
  });

  it('deliveries taken before a restart and never acknowledged come again first, in order, not after ack_wait', { timeout: 300_000 }, async () => {
    const { nats, a, b, run } = await twoHosts();
    const down = await b.cli(['down']);
    expect(down.code, down.stderr).toBe(0);
    await postBatches(a, 0, 200, run);
    await waitFor("a's backlog to drain", async () => (await a.health()).federation!.backlog, (n) => n === 0, 60_000);

    // A b that took the deliveries up to event #99 from its durable consumer and stopped before acknowledging them
    // (a kill -9, a lost connection): JetStream holds those for ack_wait (30 s) and meanwhile delivers #100 onwards.
    const nc = await connect({ servers: nats.url });
    let taken = 0;
    try {
      const consumer = await jetstream(nc).consumers.get('CORRAL', 'corral-b');
      for (let last = -1; last !== 99; taken++) {
        const m = await consumer.next({ expires: 5000 });
        if (!m) throw new Error(`the durable consumer corral-b gave nothing after ${taken} deliveries`);
        const e = m.json<{ event_type: string; payload: { i: number; run: string } }>();
        if (e.event_type === 'fed.test' && e.payload.run === run) last = e.payload.i;
      }
    } finally {
      await nc.close();
    }

    const up = await cli(['up', '-d'], b.dir);
    expect(up.code, up.stderr).toBe(0);
    const b2 = hostOf(b.dir, 'b');
    await waitFor(`b to hold a's newest event (#199)`, () => count(b2, run), (i) => i === 199, { timeoutMs: 20_000, everyMs: 200, detail: detail(a, b2) });
    const got = await b2.events({ host: 'a', event_type: 'fed.test', session_id: run });
    expect(numbers(got)).toEqual(range(0, 200));
    expect(b2.log()).toContain(`(${taken} deliveries were never acknowledged)`);
  });
});

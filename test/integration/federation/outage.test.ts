import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cli } from '../daemon/helpers.js';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { hostOf, numbers, postSeries, range, startHost, waitForEventsFrom, waitForState, type Host, type StoredEvent, useFederationCleanups } from './helpers.js';

// A NATS outage under two federated daemons (hosts a and b, one nats-server
// started by the test): each daemon keeps working alone, keeps what it must
// forward (in order, bounded by federation.backlog, across its own restart)
// and forwards it when NATS is back; remote control says NATS is down.

const cleanups = useFederationCleanups();

/** One nats-server and two connected hosts, a (with `aFederation` keys) and b; the first event from a seen at b proves b's consumer is in place. */
async function twoHosts(aFederation?: string): Promise<{ nats: NatsServer; a: Host; b: Host; run: string }> {
  const marker = `corral-test-${randomUUID()}`;
  const run = randomUUID();
  const nats = await startNatsServer({ marker });
  cleanups.push(() => nats.cleanup());
  const a = await startHost({ host: 'a', nats: nats.url, marker, cleanups, ...(aFederation ? { federation: aFederation } : {}) });
  const b = await startHost({ host: 'b', nats: nats.url, marker, cleanups });
  await waitForState(a, 'connected');
  await waitForState(b, 'connected');
  await a.post([{ source: 'fed-test', session_id: `${run}-probe`, event_type: 'fed.probe', payload: {} }]);
  await waitFor('b to hold a\'s probe event', () => b.events({ host: 'a', event_type: 'fed.probe', session_id: `${run}-probe` }), (l) => l.length === 1, 45_000);
  return { nats, a, b, run };
}

const pidOf = async (h: Host, name: string) => (await h.ps()).find((c) => c.name === name)?.pid ?? null;
const types = (list: StoredEvent[]) => list.map((e) => e.event_type);

describe('federation across a NATS outage', () => {
  it('stores and forwards in order, loses nothing, says disconnected then connected; NAME@HOST fails while NATS is down', { timeout: 240_000 }, async () => {
    const { nats, a, b, run } = await twoHosts();
    const webOnB = await pidOf(b, 'web');
    expect(webOnB).toBeGreaterThan(0);

    await nats.stop();
    const down = await waitForState(a, 'disconnected');
    expect(down.host).toBe('a');
    await waitForState(b, 'disconnected');

    // Remote control needs NATS: a clear failure, exit 1, nothing done on b.
    const refused = await a.cli(['restart', 'web@b']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/NATS/);
    expect(refused.stderr).toMatch(/disconnected/i);
    expect(await pidOf(b, 'web')).toBe(webOnB);

    // Each daemon works alone: events acknowledged and stored locally, kept for forwarding.
    const sentByA = await postSeries(a, 'a', 0, 30, run);
    const sentByB = await postSeries(b, 'b', 0, 10, run);
    expect(await a.events({ host: 'a', event_type: 'fed.test', session_id: run })).toHaveLength(30);
    expect((await a.health()).federation!.backlog).toBeGreaterThanOrEqual(30);
    expect((await b.health()).federation!.backlog).toBeGreaterThanOrEqual(10);

    await nats.restart();
    await waitForState(a, 'connected');
    await waitForState(b, 'connected');

    // Everything arrives, once, with its id, in the order it was acknowledged.
    const atB = await waitForEventsFrom(b, 'a', run, 30);
    expect(atB.map((e) => e.id)).toEqual(sentByA);
    expect(numbers(atB)).toEqual(range(0, 30));
    const atA = await waitForEventsFrom(a, 'b', run, 10);
    expect(atA.map((e) => e.id)).toEqual(sentByB);
    await waitFor('a\'s backlog to drain', async () => (await a.health()).federation!.backlog, (n) => n === 0, 45_000);

    // The daemon said so on its bus: disconnected, then connected.
    const fed = types(await a.events({ host: 'a', event_type: 'federation.*' }));
    expect(fed).toContain('federation.disconnected');
    expect(fed.lastIndexOf('federation.connected')).toBeGreaterThan(fed.lastIndexOf('federation.disconnected'));

    // With NATS back, NAME@HOST reaches b's daemon: b's web gets a new pid.
    const restarted = await a.cli(['restart', 'web@b']);
    expect(restarted.code, restarted.stderr).toBe(0);
    await waitFor('b\'s web to run with a new pid', () => pidOf(b, 'web'), (pid) => pid !== null && pid !== webOnB);
  });

  it('the backlog survives a restart of the daemon while NATS is down', { timeout: 240_000 }, async () => {
    const { nats, a, b, run } = await twoHosts();
    await nats.stop();
    await waitForState(a, 'disconnected');
    const before = await postSeries(a, 'a', 0, 10, run);

    const down = await a.cli(['down']);
    expect(down.code, down.stderr).toBe(0);
    const up = await cli(['up', '-d'], a.dir);
    expect(up.code, up.stderr).toBe(0);
    const a2 = hostOf(a.dir, 'a');
    expect(a2.pid).not.toBe(a.pid);
    expect((await a2.health()).federation!.backlog).toBeGreaterThanOrEqual(10);
    const after = await postSeries(a2, 'a', 10, 10, run);

    await nats.restart();
    await waitForState(a2, 'connected');
    const atB = await waitForEventsFrom(b, 'a', run, 20);
    expect(atB.map((e) => e.id)).toEqual([...before, ...after]);
    expect(numbers(atB)).toEqual(range(0, 20));
  });

  it('a backlog of 10 that overflows: federation.backlog_overflow, and the newest 10 arrive in order', { timeout: 240_000 }, async () => {
    const { nats, a, b, run } = await twoHosts('backlog: 10');
    await nats.stop();
    await waitForState(a, 'disconnected');
    const sent = await postSeries(a, 'a', 0, 25, run);

    // Every one is stored locally (the backlog bounds what is forwarded, not what the daemon keeps).
    expect(await a.events({ host: 'a', event_type: 'fed.test', session_id: run })).toHaveLength(25);
    const health = (await a.health()).federation!;
    expect(health.backlog).toBeLessThanOrEqual(10);
    const overflow = await waitFor('a to store federation.backlog_overflow', () => a.events({ host: 'a', event_type: 'federation.backlog_overflow' }), (l) => l.length > 0);
    for (const e of overflow) expect(e.payload.backlog).toBe(10);
    // The count of dropped events is cumulative or per event: either way it covers the 15 oldest test events.
    const dropped = overflow.map((e) => e.payload.dropped as number);
    expect(Math.max(...dropped) >= 15 || dropped.reduce((s, n) => s + n, 0) >= 15).toBe(true);

    await nats.restart();
    await waitForState(a, 'connected');
    // In order: once #24 (the newest) is at b, all that was kept before it is too. The newest 10
    // test events are kept: nothing the daemon itself published after #24 (the overflow event) took one of their places.
    await waitFor('b to hold a\'s newest test event (#24)', () => b.events({ host: 'a', event_type: 'fed.test', session_id: run }), (l) => numbers(l).includes(24), 45_000);
    const got = await b.events({ host: 'a', event_type: 'fed.test', session_id: run });
    expect(numbers(got)).toEqual(range(15, 10));
    expect(got.map((e) => e.id)).toEqual(sent.slice(15));
  });
});

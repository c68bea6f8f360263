import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startNatsServer, stopAllNatsServers, type NatsUser } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { numbers, postSeries, range, startHost, waitForEventsFrom, waitForState } from './helpers.js';

// NATS credentials: a wrong password leaves a daemon that works alone and says
// why it is not federated (in /health and in its log, without the password);
// the right users, with permissions restricted to what a host needs, federate.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await stopAllNatsServers();
}, 120_000);

/**
 * A host's user: it may publish its own events (`corral.HOST.>`), use the
 * JetStream API and acks, key-value buckets and reply inboxes, and nothing
 * else: in particular not another host's event subjects. (docs/federation.md
 * has the least-privilege account, down to the control subject and bucket.)
 */
const hostUser = (host: string, password: string): NatsUser => ({
  user: `corral-${host}`,
  password,
  permissions: {
    publish: { allow: [`corral.${host}.>`, '$JS.API.>', '$JS.ACK.>', '$KV.>', '_INBOX.>'] },
    subscribe: { allow: ['>'] },
    allow_responses: true,
  },
});

describe('federation credentials', () => {
  it('a wrong password: the daemon works locally, /health and its log name the authorization failure', { timeout: 180_000 }, async () => {
    const marker = `corral-test-${randomUUID()}`;
    const right = `right-${randomUUID()}`;
    const wrong = `wrong-${randomUUID()}`;
    const nats = await startNatsServer({ marker, users: [hostUser('a', right)] });
    cleanups.push(() => nats.cleanup());
    const a = await startHost({ host: 'a', nats: nats.url, federation: `user: corral-a, password: "${wrong}"`, marker, cleanups });

    // Components start (`up -d` returned once web was ready, and it runs).
    await waitFor('web running on a', () => a.ps(), (l) => l.some((c) => c.name === 'web' && c.state === 'running' && c.pid !== null));
    // Events are published and read back, over the CLI as a user does.
    const emitted = await a.cli(['emit', 'fed.local', '--payload', '{"n":1}']);
    expect(emitted.code, emitted.stderr).toBe(0);
    const id = emitted.stdout.trim();
    const read = await a.cli(['events', '--type', 'fed.local', '--json']);
    expect(read.code, read.stderr).toBe(0);
    const events = read.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; host?: string });
    expect(events.map((e) => e.id)).toEqual([id]);
    expect(events[0]!.host).toBe('a');

    // Not federated, and /health says why.
    const fed = await waitFor(
      "a's /health to name the authorization failure in federation.last_error",
      async () => (await a.health()).federation,
      (f) => /authori[sz]ation/i.test(f?.last_error ?? ''),
      45_000,
    ).then((f) => f!);
    expect(fed.state).not.toBe('connected');
    expect(fed.host).toBe('a');
    // The daemon's log has a line saying so, naming NATS; the password is in neither.
    const line = a.log().split('\n').find((l) => /nats/i.test(l) && /authori[sz]ation/i.test(l));
    expect(line, a.log().slice(-2000)).toBeDefined();
    expect(JSON.stringify(await a.health())).not.toContain(wrong);
    expect(a.log()).not.toContain(wrong);

    // Still fully working after the failed attempts.
    expect((await a.post([{ source: 'fed-test', session_id: 's', event_type: 'fed.local', payload: { n: 2 } }])).length).toBe(1);
    expect((await a.health()).status).toBeDefined();
  });

  it('the right users with restricted permissions federate both ways', { timeout: 180_000 }, async () => {
    const marker = `corral-test-${randomUUID()}`;
    const run = randomUUID();
    const pa = `pa-${randomUUID()}`;
    const pb = `pb-${randomUUID()}`;
    const nats = await startNatsServer({ marker, users: [hostUser('a', pa), hostUser('b', pb)] });
    cleanups.push(() => nats.cleanup());
    const a = await startHost({ host: 'a', nats: nats.url, federation: `user: corral-a, password: "${pa}"`, marker, cleanups });
    const b = await startHost({ host: 'b', nats: nats.url, federation: `user: corral-b, password: "${pb}"`, marker, cleanups });
    const fa = await waitForState(a, 'connected');
    await waitForState(b, 'connected');
    expect(fa.last_error ?? null).toBeNull();

    const sentByA = await postSeries(a, 'a', 0, 5, run);
    const sentByB = await postSeries(b, 'b', 0, 5, run);
    const atB = await waitForEventsFrom(b, 'a', run, 5);
    const atA = await waitForEventsFrom(a, 'b', run, 5);
    expect(atB.map((e) => e.id)).toEqual(sentByA);
    expect(atA.map((e) => e.id)).toEqual(sentByB);
    expect(numbers(atB)).toEqual(range(0, 5));
    // Nothing on either side was refused by the server.
    expect((await a.health()).federation!.last_error ?? null).toBeNull();
    expect((await b.health()).federation!.last_error ?? null).toBeNull();

    // The restriction is real: as corral-a, an event cannot be put in b's name.
    const nc = await connect({ servers: nats.url, user: 'corral-a', pass: pa });
    cleanups.push(() => nc.close());
    await expect(jetstream(nc, { timeout: 2000 }).publish('corral.b.fed.forged', '{}')).rejects.toThrow(/permissions violation/i);
  });
});

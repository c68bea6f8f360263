import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startNatsServer, type NatsUser } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { documentedAccounts, numbers, postSeries, range, startHost, waitForEventsFrom, waitForState, useFederationCleanups } from './helpers.js';

// NATS credentials: a wrong password leaves a daemon that works alone and says
// why it is not federated (in /health and in its log, without the password);
// the right users, with permissions restricted to what a host needs, federate.

const cleanups = useFederationCleanups();

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

  it('the least-privilege account of docs/federation.md: two daemons federate, tables and remote control work', { timeout: 180_000 }, async () => {
    const marker = `corral-test-${randomUUID()}`;
    const run = randomUUID();
    const env = { CORRAL_ADMIN_PASSWORD: `ad-${randomUUID()}`, CORRAL_BUILDBOX_PASSWORD: `bb-${randomUUID()}`, CORRAL_LAPTOP_PASSWORD: `lt-${randomUUID()}` };
    const nats = await startNatsServer({ marker, config: documentedAccounts(), env });
    cleanups.push(() => nats.cleanup());
    // The stream and the bucket are the admin's, made as the page says (the hosts may not create them).
    const admin = await connect({ servers: nats.url, user: 'corral-admin', pass: env.CORRAL_ADMIN_PASSWORD });
    cleanups.push(() => admin.close());
    await (await jetstreamManager(admin)).streams.add({ name: 'CORRAL', subjects: ['corral.>'], max_age: 24 * 3600 * 1e9, max_bytes: 1024 ** 3, duplicate_window: 120e9 });
    await new Kvm(admin).create('CORRAL_HOSTS', { history: 1 });

    const bb = await startHost({ host: 'buildbox', nats: nats.url, federation: `user: corral-buildbox, password: "${env.CORRAL_BUILDBOX_PASSWORD}"`, marker, cleanups });
    const lt = await startHost({ host: 'laptop', nats: nats.url, federation: `user: corral-laptop, password: "${env.CORRAL_LAPTOP_PASSWORD}"`, marker, cleanups });
    await waitForState(bb, 'connected');
    await waitForState(lt, 'connected');
    const sent = await postSeries(bb, 'buildbox', 0, 5, run);
    expect((await waitForEventsFrom(lt, 'buildbox', run, 5)).map((e) => e.id)).toEqual(sent);
    const back = await postSeries(lt, 'laptop', 0, 5, run);
    expect((await waitForEventsFrom(bb, 'laptop', run, 5)).map((e) => e.id)).toEqual(back);

    // laptop's component table reaches buildbox; buildbox restarts laptop's web through NATS.
    await waitFor('`corral ps --all-hosts --json` on buildbox to list laptop', () => bb.cli(['ps', '--all-hosts', '--json']), (r) => r.code === 0 && r.stdout.includes('"laptop"'));
    const before = (await lt.ps()).find((c) => c.name === 'web')!.pid;
    const restarted = await bb.cli(['restart', 'web@laptop']);
    expect(restarted.code, restarted.stderr).toBe(0);
    await waitFor("laptop's web to run with a new pid", async () => (await lt.ps()).find((c) => c.name === 'web')?.pid ?? null, (pid) => pid !== null && pid !== before);

    // Nothing either daemon did was refused by the server.
    expect((await bb.health()).federation!.last_error ?? null).toBeNull();
    expect((await lt.health()).federation!.last_error ?? null).toBeNull();
  });
});

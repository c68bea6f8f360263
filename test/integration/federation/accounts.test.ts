import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startNatsServer, stopAllNatsServers } from '../../helpers/nats-server.js';
import { withTimeout } from '../../helpers/wait-for.js';
import { documentedAccounts } from './helpers.js';

// The least-privilege account of docs/federation.md, run as written on a real
// nats-server (its own block, copied for a second host as the page says), with
// the official client doing each thing a host's daemon does over NATS: it may
// do all of them for itself and none of them in another host's name.

const clients: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of clients.splice(0)) await nc.close().catch(() => {});
  await stopAllNatsServers();
});

const env = { CORRAL_ADMIN_PASSWORD: 'admin-pw', CORRAL_BUILDBOX_PASSWORD: 'buildbox-pw', CORRAL_LAPTOP_PASSWORD: 'laptop-pw' };

async function as(url: string, user: string, pass: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, user, pass });
  clients.push(nc);
  return nc;
}

/** A request the server must refuse: rejects with a permissions violation. */
const refused = (what: string, p: Promise<unknown>) => expect(withTimeout(what, p, 10_000)).rejects.toThrow(/permissions violation/i);

describe('the least-privilege NATS account of docs/federation.md', () => {
  it('lets host buildbox publish, consume, ack, keep its table and take control requests for itself, and nothing for laptop', { timeout: 90_000 }, async () => {
    const s = await startNatsServer({ config: documentedAccounts(), env });
    // The admin makes the stream and the bucket, as the page says.
    const admin = await as(s.url, 'corral-admin', env.CORRAL_ADMIN_PASSWORD);
    await (await jetstreamManager(admin)).streams.add({ name: 'CORRAL', subjects: ['corral.>'], duplicate_window: 120_000_000_000 });
    await new Kvm(admin).create('CORRAL_HOSTS', { history: 1 });

    const bb = await as(s.url, 'corral-buildbox', env.CORRAL_BUILDBOX_PASSWORD);
    const lt = await as(s.url, 'corral-laptop', env.CORRAL_LAPTOP_PASSWORD);
    const js = jetstream(bb, { timeout: 3000 });
    const jsm = await jetstreamManager(bb, { timeout: 3000 });

    // Events: its own subjects, deduplicated by the event id; never another host's.
    const ack = await js.publish('corral.buildbox.component.started', '{"id":"e1"}', { msgID: 'e1' });
    expect((await js.publish('corral.buildbox.component.started', '{"id":"e1"}', { msgID: 'e1' })).duplicate).toBe(true);
    await jetstream(lt).publish('corral.laptop.fed.test', '{"id":"e2"}', { msgID: 'e2' });
    await refused('a publish as laptop', js.publish('corral.laptop.forged', '{}'));
    expect((await jsm.streams.info('CORRAL')).state.messages).toBe(2);
    expect(ack.seq).toBe(1);

    // Its durable consumer: create, read, ack (another host's: refused).
    await jsm.consumers.add('CORRAL', { durable_name: 'corral-buildbox', ack_policy: AckPolicy.Explicit });
    await refused("creating laptop's consumer", jsm.consumers.add('CORRAL', { durable_name: 'corral-laptop', ack_policy: AckPolicy.Explicit }));
    const consumer = await js.consumers.get('CORRAL', 'corral-buildbox');
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await consumer.next({ expires: 5000 });
      expect(m, 'a message from the durable consumer').not.toBeNull();
      seen.push(m!.subject);
      await m!.ackAck();
    }
    expect(seen).toEqual(['corral.buildbox.component.started', 'corral.laptop.fed.test']);
    expect((await consumer.info()).num_ack_pending).toBe(0);
    // Rewinding it (src/federation/stream.ts): delete, then make it again from a start sequence. Laptop's: refused.
    await jetstreamManager(lt).then((m) => m.consumers.add('CORRAL', { durable_name: 'corral-laptop', ack_policy: AckPolicy.Explicit }));
    await refused("deleting laptop's consumer", jsm.consumers.delete('CORRAL', 'corral-laptop'));
    expect(await jsm.consumers.delete('CORRAL', 'corral-buildbox')).toBe(true);
    await jsm.consumers.add('CORRAL', { durable_name: 'corral-buildbox', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 2 });
    expect((await (await js.consumers.get('CORRAL', 'corral-buildbox')).next({ expires: 5000 }))?.subject).toBe('corral.laptop.fed.test');

    // The component tables: its own key, every key read and watched.
    const kv = await new Kvm(js).open('CORRAL_HOSTS');
    await kv.put('buildbox', '{"components":[]}');
    await new Kvm(jetstream(lt)).open('CORRAL_HOSTS').then((k) => k.put('laptop', '{"components":[1]}'));
    await refused("writing laptop's table", kv.put('laptop', '{}'));
    expect((await kv.get('laptop'))?.string()).toBe('{"components":[1]}');
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys.sort()).toEqual(['buildbox', 'laptop']);

    // Control: laptop answers its own subject; buildbox may ask it, not listen in on it.
    const control = lt.subscribe('corral-control.laptop', {
      callback: (_e, m) => {
        m.respond(`restarted ${m.string()}`);
      },
    });
    await lt.flush();
    expect((await bb.request('corral-control.laptop', 'web', { timeout: 5000 })).string()).toBe('restarted web');
    const spy = bb.subscribe('corral-control.laptop');
    expect(String(await withTimeout("buildbox's subscription to laptop's control subject to be refused", spy.closed))).toMatch(/permissions violation/i);
    control.unsubscribe();
  });
});

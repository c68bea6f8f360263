import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { processesWithMarker } from '../integration/daemon/helpers.js';
import { startNatsCluster, startNatsServer, stopAllNatsServers } from './nats-server.js';
import { withTimeout } from './wait-for.js';

// The test helper that starts real nats-servers (test/helpers/nats-server.ts),
// checked on its own, with the official client: no corral involved.

const clients: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of clients.splice(0)) await nc.close().catch(() => {});
  await stopAllNatsServers();
});

async function client(servers: string | string[], extra: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers, reconnectTimeWait: 100, maxReconnectAttempts: -1, ...extra });
  clients.push(nc);
  return nc;
}

const alive = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startNatsServer', () => {
  it('starts JetStream on loopback, stops by pid, and restarts on the same port with the same store', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const s = await startNatsServer({ marker });
    expect(s.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(processesWithMarker(marker)).toEqual([s.pid]);
    const nc = await client(s.url);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'T', subjects: ['t.>'] });
    const ack = await jetstream(nc).publish('t.one', 'hello');
    expect(ack.seq).toBe(1);
    await nc.close();

    const pid = s.pid;
    await s.stop();
    expect(s.running).toBe(false);
    expect(alive(pid)).toBe(false);
    expect(s.log()).toMatch(/Server Exiting/);

    await s.restart();
    expect(s.pid).not.toBe(pid);
    const again = await client(s.url);
    const info = await (await jetstreamManager(again)).streams.info('T');
    expect(info.state.messages).toBe(1);
  });

  it('kill() ends it at once (SIGKILL), as a crash would', async () => {
    const s = await startNatsServer();
    const pid = s.pid;
    await s.kill();
    expect(s.child?.signalCode).toBe('SIGKILL');
    expect(alive(pid)).toBe(false);
  });

  it('with users: a wrong password is refused as an authorization violation; permissions are enforced', async () => {
    const s = await startNatsServer({
      users: [{ user: 'alice', password: 'right', permissions: { publish: { allow: ['a.>', '_INBOX.>'] }, subscribe: { allow: ['_INBOX.>', 'a.>'] } } }],
    });
    await expect(connect({ servers: s.url, user: 'alice', pass: 'wrong', reconnect: false })).rejects.toThrow(/authorization/i);
    const nc = await client(s.url, { user: 'alice', pass: 'right' });
    // A subscription to a subject outside the allowed ones is refused by the server.
    const denied = nc.subscribe('b.>');
    const closed = await withTimeout('the denied subscription to close', denied.closed);
    expect(String(closed)).toMatch(/permissions violation/i);
    // The allowed subject works.
    const sub = nc.subscribe('a.x', { max: 1 });
    nc.publish('a.x', 'hi');
    for await (const m of sub) expect(m.string()).toBe('hi');
  });
});

describe('startNatsCluster', () => {
  it('three routed nodes; a stream with 3 replicas keeps taking acknowledged messages when a node is killed', { timeout: 90_000 }, async () => {
    const c = await startNatsCluster();
    expect(c.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
    const nc = await client(c.urls);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'R', subjects: ['r.>'], num_replicas: 3 });
    const js = jetstream(nc);
    await js.publish('r.1', '1');

    await c.nodes[0]!.kill();
    await c.ready();
    // The client fails over to a live node; the stream, replicated, still acknowledges.
    const ack = await withTimeout('a publish acknowledged after n1 was killed', retry(() => js.publish('r.2', '2')), 30_000);
    expect(ack.seq).toBe(2);
    expect((await jsm.streams.info('R')).state.messages).toBe(2);
  });
});

/** Retries while the cluster moves a stream leader (a publish then fails for a moment). */
async function retry<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

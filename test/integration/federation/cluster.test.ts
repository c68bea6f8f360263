import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startNatsCluster } from '../../helpers/nats-server.js';
import { natsServersOf, numbers, postSeries, range, startHost, waitForEventsFrom, waitForState, useFederationCleanups } from './helpers.js';

// Federation over a three-node NATS cluster on loopback: two daemons (hosts a
// and b) are given every node's URL; the node daemon a is connected to is
// killed; events keep flowing both ways, and every event a daemon acknowledged
// (POST /events answered 202) before, during and after the kill reaches the
// other host, once, with its id, in order.

const cleanups = useFederationCleanups();

describe('federation over a NATS cluster', () => {
  it('keeps working when the node a daemon uses is killed, and loses nothing acknowledged', { timeout: 240_000 }, async () => {
    const marker = `corral-test-${randomUUID()}`;
    const run = randomUUID();
    const cluster = await startNatsCluster({ marker });
    cleanups.push(() => cluster.cleanup());
    // `replicas: 3`: the stream (and so the durable consumers) on all three nodes, so a node's loss loses nothing.
    const a = await startHost({ host: 'a', nats: cluster.urls, federation: 'replicas: 3', marker, cleanups });
    const b = await startHost({ host: 'b', nats: cluster.urls, federation: 'replicas: 3', marker, cleanups });
    await waitForState(a, 'connected');
    await waitForState(b, 'connected');

    // The stream the daemons made is replicated on every node.
    const nc = await connect({ servers: cluster.urls });
    cleanups.push(() => nc.close());
    const stream = await (await jetstreamManager(nc)).streams.info('CORRAL');
    expect(stream.config.num_replicas).toBe(3);
    expect(stream.config.subjects.some((s) => s === 'corral.>' || s.startsWith('corral.'))).toBe(true);

    const sentByA = await postSeries(a, 'a', 0, 20, run);
    const sentByB = await postSeries(b, 'b', 0, 20, run);
    await waitForEventsFrom(b, 'a', run, 20);
    await waitForEventsFrom(a, 'b', run, 20);

    // Kill the node a is connected to (found from the daemon's own sockets); any node when that cannot be told.
    const used = natsServersOf(a.pid, cluster.nodes);
    const victim = used[0] ?? cluster.nodes[0]!;
    await victim.kill();
    await cluster.ready();

    // Right after the kill, while the clients fail over: both sides keep acknowledging, and it all arrives.
    sentByA.push(...(await postSeries(a, 'a', 20, 20, run)));
    sentByB.push(...(await postSeries(b, 'b', 20, 20, run)));
    const atB = await waitForEventsFrom(b, 'a', run, 40, 60_000);
    const atA = await waitForEventsFrom(a, 'b', run, 40, 60_000);

    // Each once, with the id it was given where it was made, in the order it was acknowledged, carrying its host.
    expect(atB.map((e) => e.id)).toEqual(sentByA);
    expect(numbers(atB)).toEqual(range(0, 40));
    expect(atB.every((e) => e.host === 'a')).toBe(true);
    expect(atA.map((e) => e.id)).toEqual(sentByB);
    expect(numbers(atA)).toEqual(range(0, 40));
    expect(atA.every((e) => e.host === 'b')).toBe(true);

    // Both daemons are connected again (to a node that lives), and each still stores its own events as its own host.
    await waitForState(a, 'connected');
    await waitForState(b, 'connected');
    if (used.length > 0) expect(natsServersOf(a.pid, cluster.nodes)).not.toContain(victim);
    const own = await a.events({ host: 'a', event_type: 'fed.test', session_id: run });
    expect(own.map((e) => e.id)).toEqual(sentByA);
  });
});

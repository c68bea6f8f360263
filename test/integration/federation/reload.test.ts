import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { startNatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { running } from '../daemon/helpers.js';
import { hostConfig, startHost, testEvent, waitForState, type Host, useFederationCleanups } from './helpers.js';

// `federation:` changed while the daemon runs (`corral reload`): a new host
// name, another NATS server, the key removed, the key added again. And
// `corral down` while NATS cannot be reached.

const cleanups = useFederationCleanups();

/** Rewrites `h`'s corral.yaml (its `federation:` as given, or none) and runs `corral reload`. */
async function reloadWith(h: Host, marker: string, federation: { host: string; nats: string } | null): Promise<void> {
  const yaml = federation ? hostConfig({ ...federation, marker }) : hostConfig({ host: 'x', nats: 'nats://unused', marker }).replace(/^federation: .*\n/m, '');
  writeFileSync(join(h.dir, 'corral.yaml'), yaml);
  const r = await h.cli(['reload']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

/** Waits until `to` holds one `fed.test` event of `run` with payload `i` = `i`, and returns its host. */
async function arrived(to: Host, run: string, i: number): Promise<string | undefined> {
  const list = await waitFor(`host ${to.host} to hold test event #${i}`, () => to.events({ event_type: 'fed.test', session_id: run }), (l) => l.some((e) => e.payload.i === i), { timeoutMs: 60_000, detail: () => to.log().slice(-1500) });
  return list.find((e) => e.payload.i === i)!.host;
}

describe('federation: reloaded while the daemon runs', () => {
  it('a new host name, another NATS server, the key removed, the key added again', { timeout: 300_000 }, async () => {
    const marker = `corral-test-${randomUUID()}`;
    const run = randomUUID();
    const nats1 = await startNatsServer({ marker });
    cleanups.push(() => nats1.cleanup());
    const a = await startHost({ host: 'a', nats: nats1.url, marker, cleanups });
    const b = await startHost({ host: 'b', nats: nats1.url, marker, cleanups });
    await waitForState(a, 'connected');
    await waitForState(b, 'connected');
    await a.post([testEvent('a', 0, run)]);
    expect(await arrived(b, run, 0)).toBe('a');

    // A new host name: a's events now carry it, at home and at b.
    await reloadWith(a, marker, { host: 'a2', nats: nats1.url });
    await waitFor("a's /health to say host a2, connected", async () => (await a.health()).federation, (f) => f?.host === 'a2' && f.state === 'connected', 45_000);
    await a.post([testEvent('a2', 1, run)]);
    expect(await arrived(a, run, 1)).toBe('a2');
    expect(await arrived(b, run, 1)).toBe('a2');

    // Another NATS server (b stays on the first): a is connected to it; what a publishes stays there.
    const nats2 = await startNatsServer({ marker });
    cleanups.push(() => nats2.cleanup());
    await reloadWith(a, marker, { host: 'a2', nats: nats2.url });
    await waitFor("a's /health to name the second server, connected", async () => (await a.health()).federation, (f) => f?.state === 'connected' && JSON.stringify(f.servers).includes(String(nats2.port)), 45_000);
    const streams = await nats2.monitor<{ streams?: number }>('jsz');
    expect(streams.streams).toBeGreaterThanOrEqual(1);

    // The key removed: federation off, local events carry no host, the daemon works on.
    await reloadWith(a, marker, null);
    await waitFor("a's /health to say federation off", async () => (await a.health()).federation?.state ?? 'off', (s) => s === 'off', 45_000);
    await a.post([testEvent('none', 2, run)]);
    expect(await arrived(a, run, 2)).toBeUndefined();

    // The key added again (the first server, host a): connected, and its new events reach b.
    await reloadWith(a, marker, { host: 'a', nats: nats1.url });
    await waitForState(a, 'connected');
    await a.post([testEvent('a', 3, run)]);
    expect(await arrived(b, run, 3)).toBe('a');
    // The event sent while federation was off stays home.
    expect((await b.events({ event_type: 'fed.test', session_id: run })).map((e) => e.payload.i)).not.toContain(2);
    expect((await a.ps()).find((c) => c.name === 'web')?.state).toBe('running');
  });

  it('corral down completes while NATS cannot be reached, and the daemon exits', { timeout: 120_000 }, async () => {
    const marker = `corral-test-${randomUUID()}`;
    const closed = await freePort();
    const a = await startHost({ host: 'a', nats: `nats://127.0.0.1:${closed}`, marker, cleanups });
    await waitFor("a's /health to say it cannot reach NATS", async () => (await a.health()).federation?.state, (s) => s === 'disconnected' || s === 'connecting', 45_000);
    const down = await a.cli(['down']);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    await waitFor(`the daemon (pid ${a.pid}) to exit`, () => !running(a.pid), 60_000);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEntry } from '../../../src/bus/types.js';
import { createClient, type CorralClient } from '../../../src/client/index.js';
import { readDaemonInfo } from '../../../src/daemon/paths.js';
import { startCli, type CliRun } from '../cli/run-cli.js';
import { daemonFor, is, type TestDaemon } from './in-process.js';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';

// A hot reload that changes bus.port moves the bus: the daemon serves the new
// port, rewrites daemon.json, then closes the old port's clients with 1012 and
// the new address. Clients that find the daemon through its state directory
// follow it there and resume where they left off.

let d: TestDaemon | null = null;
let client: CorralClient | null = null;
let cli: CliRun | null = null;
afterEach(async () => {
  if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
  cli = null;
  await client?.close();
  client = null;
  await d?.close();
  d = null;
});

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
const FOLLOWER = `  follower:\n    command: ${JSON.stringify([process.execPath, '--import', fixture('ts-register.mjs'), fixture('bus-follower.ts')])}\n`;
const config = (port: number, components = '') =>
  `version: 1\nbus: { port: ${port} }\nresources: { enabled: false }\ncomponents:${components ? `\n${components}` : ' {}\n'}`;


/** Saves the config with the bus on `port` and applies it (the watcher may get there first: reloads are serialised). */
async function moveBus(t: TestDaemon, port: number, components = ''): Promise<void> {
  writeFileSync(t.config, config(port, components));
  const result = await t.daemon.controller.reload();
  expect(result.ok).toBe(true);
  expect(t.daemon.server.port).toBe(port);
}

function publish(t: TestDaemon, type: string, n: number): void {
  const r = t.daemon.bus.publish({ event_type: type, source: 'test', session_id: 's', payload: { n } });
  if (!r.ok) throw new Error(r.error.error_message);
}

/** Publishes through the HTTP API of `port`: proof that the bus is there. */
async function post(port: number, type: string, n: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event_type: type, source: 'test', session_id: 's', payload: { n } }),
  });
  expect(res.status).toBe(202);
}

/** The `n` of every event a client receives, and a wait for the count to reach a number. */
function collect(c: CorralClient) {
  const ns: number[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  c.on('event', (e) => {
    ns.push((e.payload as { n: number }).n);
    for (const w of [...waiters]) {
      if (ns.length < w.count) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    ns,
    until(count: number, what: string, timeoutMs = 20_000): Promise<void> {
      if (ns.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(ns)}`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
  };
}

const pong = (n: number) => (e: BusEntry) => is('probe.pong')(e) && (e.event.payload as { n: number }).n === n;

describe('a reload that moves the bus to another port', () => {
  it('a client that found the daemon through its state directory follows it to the new port and misses nothing', async () => {
    d = await daemonFor(config(0));
    const t = d;
    const oldPort = t.daemon.server.port;
    client = createClient({ stateDir: t.daemon.stateDir, filter: { event_type: 'test.*' }, reconnect: { initial: 20, max: 200 } });
    const got = collect(client);
    const closes: { code: number; reason: string; reconnecting: boolean; portOnDisk: number | undefined }[] = [];
    client.on('close', (info) => {
      // What a client reconnecting right now would find.
      closes.push({ ...info, portOnDisk: readDaemonInfo(t.daemon.stateDir)?.port });
      // Published while the client is away: its resume must bring them.
      if (closes.length === 1) for (const n of [2, 3, 4]) publish(t, 'test.tick', n);
    });
    await client.connect();
    publish(t, 'test.tick', 1);
    await got.until(1, 'the first event');

    const newPort = await freePort();
    await moveBus(t, newPort);
    await post(newPort, 'test.tick', 5);
    await got.until(5, 'the missed events and the one published on the new port');
    expect(got.ns).toEqual([1, 2, 3, 4, 5]);
    expect(closes).toEqual([{ code: 1012, reason: `corral bus moving to 127.0.0.1:${newPort}`, reconnecting: true, portOnDisk: newPort }]);
    expect(client.connected).toBe(true);
    await expect(fetch(`http://127.0.0.1:${oldPort}/health`)).rejects.toThrow();
  });

  it('a component corral started follows it through CORRAL_STATE_DIR: its stale CORRAL_URL does no harm', async () => {
    d = await daemonFor(config(0, FOLLOWER));
    const oldUrl = d.daemon.server.url;
    const ready = await d.waitFor('the follower to connect', is('probe.ready'));
    expect(ready.event.payload).toEqual({ corral_url: oldUrl, state_dir: d.daemon.stateDir });
    const pid = d.pidOf('follower');
    publish(d, 'probe.ping', 1);
    await d.waitFor('pong 1', pong(1));

    const mark = d.seen.length;
    const newPort = await freePort();
    await moveBus(d, newPort, FOLLOWER);
    // Right after the move: the follower gets it live or in its resume, once either way.
    publish(d, 'probe.ping', 2);
    await post(newPort, 'probe.ping', 3);
    const closed = await d.waitFor('the follower back on the new port, reporting the close', is('probe.closed'), 20_000, mark);
    expect(closed.event.payload).toEqual({ code: 1012, reason: `corral bus moving to 127.0.0.1:${newPort}` });
    await d.waitFor('pong 3', pong(3), 20_000, mark);
    // Pongs come in order from one client: a duplicate of 2 or 3 would come before pong 4.
    publish(d, 'probe.ping', 4);
    await d.waitFor('pong 4', pong(4), 20_000, mark);
    expect(d.seen.filter(is('probe.pong')).map((e) => (e.event.payload as { n: number }).n)).toEqual([1, 2, 3, 4]);
    // Only the bus moved: the component kept running.
    expect(d.pidOf('follower')).toBe(pid);
  });

  it('`corral events -f` follows it, saying why it reconnected, and prints every event once', async () => {
    d = await daemonFor(config(0));
    publish(d, 'test.tick', 1);
    const run = startCli('events', ['-f', '--type', 'test.*', '--json'], { cwd: d.dir });
    cli = run;
    run.child.stdin?.end();
    const numbers = () => run.stdout().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { payload: { n: number } }).payload.n);
    await waitFor('the history', () => numbers().length >= 1);
    publish(d, 'test.tick', 2);
    await waitFor('the live tail', () => numbers().length >= 2);

    const newPort = await freePort();
    await moveBus(d, newPort);
    publish(d, 'test.tick', 3);
    await post(newPort, 'test.tick', 4);
    await waitFor(`the events after the move; stderr: ${run.stderr()}`, () => numbers().length >= 4);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(numbers()).toEqual([1, 2, 3, 4]);
    expect(run.stderr()).toContain(`connection lost (1012 corral bus moving to 127.0.0.1:${newPort}), reconnecting`);
    expect(run.stderr()).toContain('reconnected, resuming');
  });

  it('other bus settings on a fixed port: the server restarts on the same port, retention applies at once, and components saved in the same edit are applied', async () => {
    const port = await freePort();
    const comp = (msg: string) => `  c:\n    command: ["sh", "-c", "echo ${msg}; exec sleep 1000"]\n`;
    d = await daemonFor(config(port, comp('one')));
    const t = d;
    await t.waitFor('c started', is('component.started', 'c'));
    const pid = t.pidOf('c');
    for (let n = 1; n <= 4; n++) publish(t, 'test.tick', n);
    const last = t.daemon.bus.publish({ event_type: 'test.tick', source: 'test', session_id: 's', payload: { n: 5 } });
    if (last.ok) await last.stored;
    client = createClient({ stateDir: t.daemon.stateDir, filter: { event_type: 'test.*' }, reconnect: { initial: 20, max: 200 } });
    const got = collect(client);
    const closes: { code: number; reason: string }[] = [];
    client.on('close', (info) => closes.push({ code: info.code, reason: info.reason }));
    await client.connect();

    const mark = t.seen.length;
    writeFileSync(t.config, `version: 1\nbus: { port: ${port}, heartbeat: 7s, history: 3, retention: { events: 2 } }\nresources: { enabled: false }\ncomponents:\n${comp('two')}`);
    const result = await t.daemon.controller.reload();
    expect(result).toMatchObject({ ok: true });
    expect(t.daemon.server.port).toBe(port);
    await t.waitFor('c restarted', is('component.started', 'c'), 20_000, mark);
    expect(t.pidOf('c')).not.toBe(pid);
    expect(t.seen.slice(mark).some(is('error.CFG001'))).toBe(false);
    // Retention: only the 2 newest stored events were kept, so at most 2 of the five ticks.
    expect(t.daemon.bus.history({ event_type: 'test.*' }, { limit: 100 }).events.length).toBeLessThanOrEqual(2);
    // The client was told why and came back to the same port.
    publish(t, 'test.tick', 6);
    await got.until(6, 'the event after the restart');
    expect(got.ns).toContain(6);
    expect(closes[0]).toEqual({ code: 1012, reason: 'corral bus restarting to apply heartbeat, history' });
  });

  it('every component gets CORRAL_STATE_DIR beside CORRAL_URL, except one whose own env names the bus (CORRAL_URL)', async () => {
    const dump = (name: string, env = '') =>
      `  ${name}:\n    command: ["sh", "-c", "echo \\"$CORRAL_URL $CORRAL_STATE_DIR\\" > ${name}.env"]\n    restart: { policy: never }\n${env}`;
    d = await daemonFor(config(0, dump('plain') + dump('pinned', '    env: { CORRAL_URL: "http://127.0.0.1:1" }\n')));
    for (const name of ['plain', 'pinned']) await d.waitFor(`${name} to exit`, is('component.stopped', name));
    expect(readFileSync(join(d.dir, 'plain.env'), 'utf8').trim()).toBe(`${d.daemon.server.url} ${d.daemon.stateDir}`);
    expect(readFileSync(join(d.dir, 'pinned.env'), 'utf8').trim()).toBe('http://127.0.0.1:1');
  });
});

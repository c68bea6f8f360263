import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { DEFAULT_DEBOUNCE_MS } from '../../../src/config/watch.js';
import { daemonFor, is, type TestDaemon } from './in-process.js';
import { waitFor } from '../../helpers/wait-for.js';

let d: TestDaemon | null = null;
afterEach(async () => {
  await d?.close();
  d = null;
});

const component = (name: string, cmd = 'sleep 1000', extra = '') => `  ${name}:\n    command: ${cmd}\n${extra}`;
const config = (...components: string[]) => `version: 1\nbus: { port: 0 }\nresources: { enabled: false }\ncomponents:\n${components.join('')}`;

async function running(t: TestDaemon, ...names: string[]) {
  for (const n of names) await t.waitFor(`${n} started`, is('component.started', n));
}

/**
 * Lets two debounce windows pass, then publishes a marker and waits for it on
 * the bus: every event published before the marker (a late second
 * config.changed included) has been recorded by then, so counts are exact.
 */
async function settle(t: TestDaemon): Promise<void> {
  const n = t.seen.length;
  await new Promise((r) => setTimeout(r, 2 * DEFAULT_DEBOUNCE_MS + 50));
  const r = t.daemon.bus.publish({ event_type: 'test.settled', source: 'test', session_id: 's', payload: { n } });
  if (!r.ok) throw new Error(r.error.error_message);
  await t.waitFor('the settle marker', (e) => is('test.settled')(e) && (e.event.payload as { n: number }).n === n, 10_000, n);
}

/** Waits until the supervisor lists exactly these components. */
async function listed(t: TestDaemon, names: string[]): Promise<void> {
  const now = () => t.daemon.controller.list().map((c) => c.name).sort();
  await waitFor(`the components listed to be ${names.join(', ')}`, now, (listed) => JSON.stringify(listed) === JSON.stringify(names));
}

/** The hash the daemon gives the file as it is on disk now. */
async function hashOf(file: string): Promise<string> {
  const r = await loadConfig(file);
  if (!r.ok) throw new Error(`the test wrote an invalid config: ${JSON.stringify(r.errors)}`);
  return r.hash;
}

describe('hot reload through the daemon', () => {
  it('applies each save as exactly the plan a user expects, restarting only what changed', async () => {
    const thresholds = (mb: number) => `    resources: { memory: { warning: ${mb}MB } }\n`;
    d = await daemonFor(config(component('a', 'sleep 1000', thresholds(100)), component('b'), component('c')));
    await running(d, 'a', 'b', 'c');
    const pids = { a: d.pidOf('a'), b: d.pidOf('b'), c: d.pidOf('c') };

    // A threshold only: updated in place, nobody restarts.
    let mark = d.seen.length;
    writeFileSync(d.config, config(component('a', 'sleep 1000', thresholds(200)), component('b'), component('c')));
    let changed = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(changed.event.payload).toMatchObject({ added: [], removed: [], restarted: [], updated: ['a'], unchanged: 2 });
    expect({ a: d.pidOf('a'), b: d.pidOf('b'), c: d.pidOf('c') }).toEqual(pids);

    // b's command changes, d is added, c is removed.
    mark = d.seen.length;
    writeFileSync(d.config, config(component('a', 'sleep 1000', thresholds(200)), component('b', 'sleep 999'), component('d')));
    changed = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(changed.event.payload).toMatchObject({ added: ['d'], removed: ['c'], restarted: ['b'], updated: [], unchanged: 1 });
    await d.waitFor('b restarted', (e) => is('component.started', 'b')(e) && (e.event.payload as { generation: number }).generation === 2, 10_000, mark);
    await d.waitFor('d started', is('component.started', 'd'), 10_000, mark);
    expect(d.pidOf('a')).toBe(pids.a);
    expect(d.pidOf('b')).not.toBe(pids.b);
    // c's stop runs alongside d's start: it leaves the list once its group is gone.
    await d.waitFor('c stopped', is('component.stopped', 'c'), 10_000, mark);
    await listed(d, ['a', 'b', 'd']);
  });

  it('ecosystem-wide settings alone (thresholds, resources.interval) are named in config.changed, and nobody restarts', async () => {
    const withResources = (resources: string) => config(component('a'), component('b')).replace('resources: { enabled: false }', `resources: ${resources}`);
    d = await daemonFor(withResources('{ enabled: false }'));
    await running(d, 'a', 'b');
    const pids = { a: d.pidOf('a'), b: d.pidOf('b') };

    const mark = d.seen.length;
    writeFileSync(d.config, withResources('{ enabled: false, interval: 5s, memory: { warning: 300MB, critical: 600MB } }'));
    const changed = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(changed.event.payload).toEqual({
      added: [],
      removed: [],
      restarted: [],
      updated: [],
      settings: ['resources'],
      unchanged: 2,
      hash: await hashOf(d.config),
      trigger: 'file',
    });
    await settle(d);
    expect(d.seen.slice(mark).filter(is('config.changed'))).toHaveLength(1);
    expect(d.seen.slice(mark).some(is('component.stopped'))).toBe(false);
    expect({ a: d.pidOf('a'), b: d.pidOf('b') }).toEqual(pids);
    expect(d.daemon.config.resources).toMatchObject({ interval: 5000, memory: { warning: 300 * 1024 * 1024, critical: 600 * 1024 * 1024 } });
  });

  it('50 rapid saves are one config.changed, of the last save, and every component keeps its pid', async () => {
    const thresholds = (mb: number) => `    resources: { memory: { warning: ${mb}MB } }\n`;
    d = await daemonFor(config(component('a', 'sleep 1000', thresholds(100)), component('b'), component('c')));
    await running(d, 'a', 'b', 'c');
    const pids = { a: d.pidOf('a'), b: d.pidOf('b'), c: d.pidOf('c') };

    const mark = d.seen.length;
    // Saves 1-49 change b's command (any of them applied would restart b); the 50th puts b back and changes
    // only a's threshold. Each save yields to the event loop, so the daemon's watcher (in this process) sees
    // every one of them as it comes: only its debounce keeps the first 49 from being read and applied.
    let longestGap = 0;
    let previous = performance.now();
    for (let i = 1; i <= 50; i++) {
      const last = i === 50;
      const b = last ? component('b') : component('b', `sleep ${2000 + i}`);
      await writeFile(d.config, config(component('a', 'sleep 1000', thresholds(last ? 150 : 100 + i)), b, component('c')));
      longestGap = Math.max(longestGap, performance.now() - previous);
      previous = performance.now();
    }

    const finalHash = await hashOf(d.config);
    const ofLastSave = (e: TestDaemon['seen'][number]) => is('config.changed')(e) && (e.event.payload as { hash: string }).hash === finalHash;
    const changed = await d.waitFor('the config.changed of the last save', ofLastSave, 10_000, mark);
    await settle(d);
    const reloads = d.seen.slice(mark).filter(is('config.changed'));
    expect(d.daemon.config.components.a?.resources?.memory?.warning).toBe(150 * 1024 * 1024);
    if (longestGap >= DEFAULT_DEBOUNCE_MS) {
      // This process stalled for a whole debounce between two saves (its own writes and the watcher share it): the
      // debounce then rightly read an intermediate save, so only the end state can be judged.
      expect({ a: d.pidOf('a'), c: d.pidOf('c') }).toEqual({ a: pids.a, c: pids.c });
      return;
    }
    expect(changed.event.payload).toMatchObject({ added: [], removed: [], restarted: [], updated: ['a'], settings: [], unchanged: 2, trigger: 'file' });
    expect(reloads, `longest gap between two saves: ${longestGap.toFixed(0)} ms`).toHaveLength(1);
    expect(d.seen.slice(mark).filter((e) => e.event.event_type.startsWith('component.') || e.event.event_type.startsWith('error.'))).toEqual([]);
    expect({ a: d.pidOf('a'), b: d.pidOf('b'), c: d.pidOf('c') }).toEqual(pids);
  });

  it('a component disabled since the start is switched on by a reload, and off again stays listed as disabled; a removed one says why it stopped', async () => {
    d = await daemonFor(config(component('a'), component('b', 'sleep 1001', '    enabled: false\n'), component('c')));
    await running(d, 'a', 'c');
    const state = (n: string) => d!.daemon.controller.list().find((c) => c.name === n)?.state;
    expect(state('b')).toBe('disabled');

    let mark = d.seen.length;
    writeFileSync(d.config, config(component('a'), component('b', 'sleep 1001'), component('c')));
    const changed = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(changed.event.payload).toMatchObject({ added: ['b'], removed: [], restarted: [] });
    await d.waitFor('b started', is('component.started', 'b'), 10_000, mark);
    expect(d.pidOf('b')).not.toBeNull();

    mark = d.seen.length;
    writeFileSync(d.config, config(component('a'), component('b', 'sleep 1001', '    enabled: false\n')));
    const stoppedB = await d.waitFor('b stopped', is('component.stopped', 'b'), 10_000, mark);
    const stoppedC = await d.waitFor('c stopped', is('component.stopped', 'c'), 10_000, mark);
    expect(stoppedB.event.payload).toMatchObject({ reason: 'stopped', cause: 'disabled in the config' });
    expect(stoppedC.event.payload).toMatchObject({ reason: 'stopped', cause: 'removed from the config' });
    await waitFor('b disabled and c gone', () => state('b') === 'disabled' && state('c') === undefined, { detail: () => `b is ${state('b')}, c is ${state('c')}` });
  });

  it('a component a reload added that waits for a dependency that never gets healthy does not hold up later reloads', async () => {
    // A port nothing listens on: the probe keeps failing, so api stays pending.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    d = await daemonFor(config(component('a')));
    await running(d, 'a');
    const db = component('db', 'sleep 1000', `    health: { tcp: "127.0.0.1:${port}", interval: 200ms }\n`);
    const api = component('api', 'sleep 1001', '    depends_on: { db: healthy }\n');

    let mark = d.seen.length;
    writeFileSync(d.config, config(component('a'), db, api));
    const first = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(first.event.payload).toMatchObject({ added: ['api', 'db'] });
    await d.waitFor('db started', is('component.started', 'db'), 10_000, mark);
    expect(d.daemon.controller.list().find((c) => c.name === 'api')?.state).toBe('pending');

    // The next save is applied, and the API's reload answers, while api still waits.
    mark = d.seen.length;
    writeFileSync(d.config, config(component('a'), db, api, component('c')));
    const second = await d.waitFor('a second config.changed', is('config.changed'), 10_000, mark);
    expect(second.event.payload).toMatchObject({ added: ['c'] });
    await d.waitFor('c started', is('component.started', 'c'), 10_000, mark);
    const answer = await d.daemon.controller.reload();
    expect(answer.ok).toBe(true);
    expect(d.daemon.controller.list().find((c) => c.name === 'api')?.state).toBe('pending');
  });

  it('an entry added with enabled: false is listed as disabled, as one disabled at start is; one that leaves the file leaves the list', async () => {
    d = await daemonFor(config(component('a'), component('b', 'sleep 1001', '    enabled: false\n')));
    await running(d, 'a');
    const state = (n: string) => d!.daemon.controller.list().find((c) => c.name === n)?.state;
    expect(state('b')).toBe('disabled');

    let mark = d.seen.length;
    writeFileSync(d.config, config(component('a'), component('c', 'sleep 1002', '    enabled: false\n')));
    const changed = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(changed.event.payload).toMatchObject({ added: [], removed: [], restarted: [], updated: [] });
    await listed(d, ['a', 'c']);
    expect(state('c')).toBe('disabled');

    // Switched on later, it starts with its own command.
    mark = d.seen.length;
    writeFileSync(d.config, config(component('a'), component('c', 'sleep 1002')));
    await d.waitFor('c started', is('component.started', 'c'), 10_000, mark);
    expect(d.daemon.controller.list().find((c) => c.name === 'c')).toMatchObject({ state: 'running', generation: 1 });
  });

  it('an invalid file (bad YAML, then an unknown key) is CFG001 with line and path, and every component keeps its pid', async () => {
    d = await daemonFor(config(component('a'), component('b')));
    await running(d, 'a', 'b');
    const pids = [d.pidOf('a'), d.pidOf('b')];

    let mark = d.seen.length;
    writeFileSync(d.config, 'version: 1\ncomponents:\n  a:\n    command: [unclosed\n');
    let err = await d.waitFor('CFG001', is('error.CFG001'), 10_000, mark);
    expect(err.event.payload.error_message).toMatch(/line \d+/);

    mark = d.seen.length;
    writeFileSync(d.config, config(component('a', 'sleep 1000', '    restrat: { policy: never }\n'), component('b')));
    err = await d.waitFor('CFG001', is('error.CFG001'), 10_000, mark);
    expect(err.event.payload.error_message).toContain('components.a.restrat');
    expect(err.event.payload.error_message).toMatch(/line 7/);
    expect([d.pidOf('a'), d.pidOf('b')]).toEqual(pids);
    expect(d.seen.slice(mark).some(is('component.stopped'))).toBe(false);

    // Restoring the applied file: subscribers are told the error is over, with an empty plan.
    mark = d.seen.length;
    writeFileSync(d.config, config(component('a'), component('b')));
    const back = await d.daemon.controller.reload();
    expect(back.ok).toBe(true);
    const again = await d.waitFor('config valid again', is('config.changed'), 10_000, mark);
    expect(again.event.payload).toMatchObject({ added: [], removed: [], restarted: [], updated: [], unchanged: 2, valid_again: true });

    // `corral reload` (the API) after fixing it applies the file.
    writeFileSync(d.config, config(component('a'), component('b'), component('c')));
    const result = await d.daemon.controller.reload();
    expect(result.ok).toBe(true);
    await d.waitFor('c started', is('component.started', 'c'));
  });
});

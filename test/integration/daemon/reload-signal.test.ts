import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type CorralClient } from '../../../src/client/index.js';
import type { CorralEvent } from '../../../src/schema/events.js';
import { loadConfig } from '../../../src/config/load.js';
import { DEFAULT_DEBOUNCE_MS } from '../../../src/config/watch.js';
import { readDaemonInfo } from '../../../src/daemon/paths.js';
import { cli, killMarked, project, ps } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// SIGHUP and `corral reload` against a real daemon (`corral up -d`, its own
// process, signal handlers installed), watched through a real bus client.
//
// Both re-read the file the watcher also sees change, and whichever reads it
// first applies it (the other finds it applied: no second config.changed). To
// see the signal's or the API's own reload, the daemon is frozen (SIGSTOP)
// while the file is saved and the request is made, then thawed: its watcher
// only starts its debounce then, while the signal or the request is handled at
// once.

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const component = (marker: string, name: string, argv = ['sleep', '1000']) =>
  `  ${name}:\n    command: ${JSON.stringify(argv)}\n    env: { MARK: "${marker}" }\n`;
const config = (resources: string, ...components: string[]) => `version: 1\nbus: { port: 0 }\nresources: ${resources}\ncomponents:\n${components.join('')}`;

/** The process state letter (R, S, T, Z…) from /proc, or null when it is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] ?? null;
  } catch {
    return null;
  }
}

/**
 * Established TCP connections to `port` whose received bytes the process
 * listening there has not read yet, by remote address (from /proc/net/tcp*):
 * how a test sees a request wait in a frozen daemon's socket.
 */
function unreadConnections(port: number): Set<string> {
  const out = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const [, local, remote, state, queues] = line.trim().split(/\s+/);
      if (!local || !remote || !queues || state !== '01') continue;
      if (parseInt(local.split(':').at(-1)!, 16) !== port) continue;
      if (parseInt(queues.split(':')[1]!, 16) > 0) out.add(remote);
    }
  }
  return out;
}

/** `corral up -d` on a project whose components carry a marker, with a bus client recording config.changed and test.* events. */
async function upWithBus(yaml: (marker: string) => string) {
  const marker = `corral-test-${randomUUID()}`;
  const p = project(yaml(marker));
  const stateDir = join(p.dir, '.corral');
  let frozen: number | null = null;
  let client: CorralClient | null = null;
  cleanups.push(async () => {
    // A daemon left frozen by a failed test could not answer `corral down`.
    if (frozen !== null) process.kill(frozen, 'SIGCONT');
    await client?.close();
    await p.cleanup();
    // Whatever survived (a daemon that died mid-test leaves its groups): by pid, never by name.
    killMarked(marker);
  });

  const up = await cli(['up', '-d'], p.dir);
  expect(up.code, up.stderr).toBe(0);
  const info = readDaemonInfo(stateDir);
  if (!info) throw new Error('no daemon.json after `corral up -d`');

  const events: CorralEvent[] = [];
  const seen = new Set<string>();
  const waiters: { match: (e: CorralEvent) => boolean; resolve: (e: CorralEvent) => void }[] = [];
  client = createClient({ stateDir, filter: { event_type: 'config.changed,test.*' }, reconnect: false });
  client.on('event', (e) => {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    events.push(e);
    for (const w of [...waiters]) {
      if (!w.match(e)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  await client.connect();
  const bus = client;

  const t = {
    dir: p.dir,
    config: p.config,
    marker,
    pid: info.pid,
    port: info.port,
    events,
    /** The first event from `from` on (already seen or coming) that matches. */
    waitFor(what: string, match: (e: CorralEvent) => boolean, from = 0, timeoutMs = 15_000): Promise<CorralEvent> {
      const hit = events.slice(from).find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (e: CorralEvent) => (clearTimeout(timer), resolve(e)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for ${what}; saw: ${events.map((e) => e.event_type).join(', ')}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    /**
     * Two debounce windows, then a marker published through the bus and
     * awaited: every event the daemon published before it (a late second
     * config.changed included) has arrived by then.
     */
    async settle(): Promise<void> {
      const n = events.length;
      await new Promise((r) => setTimeout(r, 2 * DEFAULT_DEBOUNCE_MS + 50));
      bus.publish({ event_type: 'test.settled', source: 'test', session_id: 'reload-signal', payload: { n } });
      await t.waitFor('the settle marker', (e) => e.event_type === 'test.settled' && (e.payload as { n?: number }).n === n, n);
    },
    /** SIGSTOP, and wait until the kernel says the daemon is stopped. */
    async freeze(): Promise<void> {
      process.kill(info.pid, 'SIGSTOP');
      frozen = info.pid;
      await waitFor('the daemon stopped', () => procState(info.pid), (s) => s === 'T' || s === 't', 5_000);
    },
    thaw(): void {
      process.kill(info.pid, 'SIGCONT');
      frozen = null;
    },
  };
  return t;
}

async function hashOf(file: string): Promise<string> {
  const r = await loadConfig(file);
  if (!r.ok) throw new Error(`the test wrote an invalid config: ${JSON.stringify(r.errors)}`);
  return r.hash;
}

const pidsOf = async (dir: string) => Object.fromEntries((await ps(dir)).map((c) => [c.name, c.pid]));
const isChanged = (e: CorralEvent) => e.event_type === 'config.changed';

describe('reload by signal and by command, on a real daemon', () => {
  it('SIGHUP re-reads the config: one config.changed with the plan, trigger SIGHUP, and only the changed component restarts', async () => {
    const off = '{ enabled: false }';
    const t = await upWithBus((m) => config(off, component(m, 'a'), component(m, 'b'), component(m, 'c')));
    const before = await pidsOf(t.dir);
    expect(Object.values(before).every((pid) => typeof pid === 'number')).toBe(true);

    const mark = t.events.length;
    await t.freeze();
    // b's command changes, c goes, d comes; a is untouched.
    writeFileSync(t.config, config(off, component(t.marker, 'a'), component(t.marker, 'b', ['sleep', '1001']), component(t.marker, 'd')));
    process.kill(t.pid, 'SIGHUP');
    t.thaw();

    const changed = await t.waitFor('config.changed', isChanged, mark);
    expect(changed.payload).toEqual({
      added: ['d'],
      removed: ['c'],
      restarted: ['b'],
      updated: [],
      settings: [],
      unchanged: 1,
      hash: await hashOf(t.config),
      trigger: 'SIGHUP',
    });
    // The watcher saw the same save: it finds it applied and says nothing more.
    await t.settle();
    expect(t.events.slice(mark).filter(isChanged)).toHaveLength(1);

    const after = await waitFor('d running and c gone', () => ps(t.dir), (l) =>
      l.some((c) => c.name === 'd' && c.state === 'running') && !l.some((c) => c.name === 'c'),
    );
    const pid = (n: string) => after.find((c) => c.name === n)?.pid;
    expect(pid('a')).toBe(before.a);
    expect(pid('b')).not.toBe(before.b);
    expect(after.find((c) => c.name === 'b')?.state).toBe('running');
    expect(procState(t.pid)).not.toBeNull();
  });

  it('`corral reload` applies the saved file: exit 0, the plan in its message, one config.changed with trigger api', async () => {
    const t = await upWithBus((m) => config('{ enabled: false }', component(m, 'a'), component(m, 'b')));
    const before = await pidsOf(t.dir);

    const mark = t.events.length;
    await t.freeze();
    // A component added and an ecosystem-wide setting changed.
    writeFileSync(t.config, config('{ enabled: false, interval: 3s }', component(t.marker, 'a'), component(t.marker, 'b'), component(t.marker, 'c')));
    const waiting = unreadConnections(t.port);
    const reload = cli(['reload'], t.dir);
    // The request is in the frozen daemon's socket before it runs again.
    await waitFor('the reload request to reach the daemon', () => [...unreadConnections(t.port)].filter((r) => !waiting.has(r)), (fresh) => fresh.length > 0);
    t.thaw();

    const result = await reload;
    expect(result).toEqual({ code: 0, stdout: 'config applied: 1 added, 0 removed, 0 restarted, 0 updated in place, 2 unchanged; settings: resources\n', stderr: '' });
    const changed = await t.waitFor('config.changed', isChanged, mark);
    expect(changed.payload).toEqual({
      added: ['c'],
      removed: [],
      restarted: [],
      updated: [],
      settings: ['resources'],
      unchanged: 2,
      hash: await hashOf(t.config),
      trigger: 'api',
    });
    await t.settle();
    expect(t.events.slice(mark).filter(isChanged)).toHaveLength(1);

    const after = await waitFor('c running', () => ps(t.dir), (l) => l.some((c) => c.name === 'c' && c.state === 'running'));
    expect(after.find((c) => c.name === 'a')?.pid).toBe(before.a);
    expect(after.find((c) => c.name === 'b')?.pid).toBe(before.b);
  });
});

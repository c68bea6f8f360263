import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEntry } from '../../../src/bus/types.js';
import { createClient, type CorralClient } from '../../../src/client/index.js';
import { daemonBaseUrl, readDaemonInfo, readToken } from '../../../src/daemon/paths.js';
import type { ComponentInfo } from '../../../src/supervisor/types.js';
import { cli, fixtures, killMarked, processesWithMarker, project, ps } from './helpers.js';
import { daemonFor, is, type TestDaemon } from './in-process.js';
import { waitFor } from '../../helpers/wait-for.js';

// Resource sampling and alerts seen from outside the monitor: through a running
// daemon, its config reloads, its bus clients and `corral ps`.

let d: TestDaemon | null = null;
let clients: CorralClient[] = [];
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
  await d?.close();
  d = null;
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

type Alert = { component: string; alert_level: string; message: string; metrics: Record<string, number> };
const alert = (e: BusEntry) => e.event.payload as Alert;
const level = (component: string, want: string) => (e: BusEntry) => is('resource.alert', component)(e) && alert(e).alert_level === want;

describe('resources through a running daemon', () => {
  it('a changed threshold only: updated in place, same pid, and the next samples are judged by the new threshold', async () => {
    // The leak holds 40 MB from its start; it never grows in this test.
    const config = (warning: string) => `version: 1
bus: { port: 0 }
resources: { interval: 200ms, samples: 2 }
components:
  leak:
    command: node ${join(fixtures, 'leak-memory.js')} 20 40
    resources: { memory: { warning: ${warning} }, on_critical: restart }
`;
    d = await daemonFor(config('4GB'));
    await d.waitFor('leak started', is('component.started', 'leak'));
    const pid = d.pidOf('leak');
    // More samples than the alert needs, all under the old threshold: nothing is raised.
    await d.waitForSamples('leak', 4);
    expect(d.seen.some(is('resource.alert', 'leak'))).toBe(false);

    // Half of what it uses now: well under its usage, whatever Node's own baseline is here.
    const used = d.samples.filter((s) => s.name === 'leak').at(-1)!.memory_mb;
    const threshold = Math.floor(used / 2);
    expect(threshold).toBeGreaterThan(20);
    const mark = d.seen.length;
    writeFileSync(d.config, config(`${threshold}MB`));
    const changed = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(changed.event.payload).toMatchObject({ added: [], removed: [], restarted: [], updated: ['leak'], unchanged: 0 });

    const warning = await d.waitFor('a warning by the new threshold', level('leak', 'warning'), 20_000, mark);
    expect(alert(warning).message).toMatch(new RegExp(`^memory [\\d.]+ MB is over the warning threshold ${threshold} MB`));
    expect(d.pidOf('leak')).toBe(pid);
    expect(d.seen.slice(mark).some((e) => is('component.stopped', 'leak')(e) || is('component.started', 'leak')(e))).toBe(false);
  });

  it("a reload that changes resources.samples applies to the daemon's own target (corral)", async () => {
    // Every process is over 1 MB, the daemon too; only the number of samples holds its alert back.
    // The sleeper's own threshold keeps it quiet; its samples count the passes.
    const config = (samples: number) => `version: 1
bus: { port: 0 }
resources: { interval: 100ms, samples: ${samples}, memory: { warning: 1MB } }
components:
  sleeper:
    command: sleep 1000
    resources: { memory: { warning: 4GB } }
`;
    d = await daemonFor(config(1000));
    await d.waitFor('sleeper started', is('component.started', 'sleeper'));
    await d.waitForSamples('sleeper', 5);
    expect(d.seen.some(is('resource.alert', 'corral'))).toBe(false);

    const mark = d.seen.length;
    writeFileSync(d.config, config(2));
    const changed = await d.waitFor('config.changed', is('config.changed'), 10_000, mark);
    expect(changed.event.payload).toMatchObject({ restarted: [], updated: [] });
    const warning = await d.waitFor('the daemon over its warning threshold', level('corral', 'warning'), 20_000, mark);
    expect(alert(warning).message).toMatch(/^memory [\d.]+ MB is over the warning threshold 1 MB/);
  });

  it('the daemon measures itself as corral: active_connections is the number of bus clients', async () => {
    const config = (warning: string) => `version: 1
bus: { port: 0 }
resources: { interval: 100ms, samples: 1, memory: { warning: ${warning} } }
components: {}
`;
    d = await daemonFor(config('1000GB'));
    const t = d;
    const N = 3;
    let mark = t.seen.length;
    for (let i = 0; i < N; i++) {
      const c = createClient({ stateDir: t.daemon.stateDir, filter: { event_type: 'test.none' }, reconnect: false });
      clients.push(c);
      await c.connect();
    }
    // The hub counts a client before it publishes ws.connected.
    await waitFor('every client accepted', () => t.seen.slice(mark).filter(is('ws.connected')).length, (n) => n === N);

    // The daemon alerts about itself only on a level change: lower its threshold to see a sample.
    mark = t.seen.length;
    writeFileSync(t.config, config('1MB'));
    const warning = await t.waitFor('corral over its warning threshold', level('corral', 'warning'), 20_000, mark);
    expect(alert(warning).metrics).toMatchObject({ active_connections: N });
    expect(alert(warning).metrics.event_queue_size).toBeGreaterThanOrEqual(0);
    expect(alert(warning).metrics.memory_mb).toBeGreaterThan(1);

    // One client leaves; back to normal, the sample that says so counts the others.
    mark = t.seen.length;
    await clients.pop()!.close();
    await t.waitFor('the hub dropped it', is('ws.disconnected'), 10_000, mark);
    writeFileSync(t.config, config('1000GB'));
    const info = await t.waitFor('corral back to normal', level('corral', 'info'), 20_000, mark);
    expect(alert(info).metrics).toMatchObject({ active_connections: N - 1 });
  });

  it('`corral ps --json` and GET /api/components show a real cpu/memory sample of a running component', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
resources: { interval: 200ms }
components:
  leak:
    command: node ${join(fixtures, 'leak-memory.js')} 20 30
    env: { MARK: "${marker}" }
`);
    cleanups.push(async () => {
      await p.cleanup();
      // Whatever survived the daemon (it should be nothing), by pid.
      killMarked(marker);
    });
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code).toBe(0);

    const sampled = (l: ComponentInfo[]) => l.find((c) => c.name === 'leak' && c.memory_mb !== null && c.cpu_percent !== null);
    // It holds 30 MB of its own beside Node itself, once it has started and allocated them (a
    // first sample may come before): wait for a sample that shows them.
    const row = sampled(await waitFor('a sample of its 30 MB in corral ps', () => ps(p.dir), (l) => (sampled(l)?.memory_mb ?? 0) > 30))!;
    expect(row.memory_mb).toBeGreaterThan(30);
    expect(row.cpu_percent).toBeGreaterThanOrEqual(0);

    const stateDir = join(p.dir, '.corral');
    const token = readToken(stateDir);
    const res = await fetch(`${daemonBaseUrl(readDaemonInfo(stateDir)!)}/api/components`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    expect(res.status).toBe(200);
    const api = ((await res.json()) as { components: ComponentInfo[] }).components.find((c) => c.name === 'leak')!;
    expect(api.pid).toBe(row.pid);
    expect(api.memory_mb).toBeGreaterThan(30);
    expect(typeof api.cpu_percent).toBe('number');

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

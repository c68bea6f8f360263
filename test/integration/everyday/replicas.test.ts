import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { cli, killMarked, processesWithMarker, project, ps } from '../daemon/helpers.js';
import { daemonFor, is, type TestDaemon } from '../daemon/in-process.js';
import { waitFor } from '../../helpers/wait-for.js';

// `replicas: N` through a real daemon: N processes, their names and env, the
// commands on the base name, a reload that changes N, `depends_on` a base.

let d: TestDaemon | null = null;
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await d?.close();
  d = null;
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const idle = `["node", "-e", "setInterval(() => {}, 1000)"]`;
const says = `["node", "-e", "console.log('replica ' + process.env.CORRAL_REPLICA); setInterval(() => {}, 1000)"]`;
const config = (marker: string, n: number) => `version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  web:
    command: ${says}
    replicas: ${n}
    ready_after: 0s
    env: { MARK: "${marker}" }
`;

/** One variable of a live process's environment. */
function envOf(pid: number, key: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((l) => l.startsWith(`${key}=`));
  return line?.slice(key.length + 1);
}

const pids = async (dir: string) => Object.fromEntries((await ps(dir)).map((c) => [c.name, c.pid]));
const allRunning = (names: string[]) => (list: Awaited<ReturnType<typeof ps>>) =>
  names.every((n) => list.some((c) => c.name === n && c.state === 'running' && c.pid !== null)) && list.length === names.length;

describe('replicas', () => {
  it('runs NAME-1..N with CORRAL_REPLICA and CORRAL_COMPONENT; stop/start/restart of NAME act on all; a reload changes only the difference', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker, 3));
    cleanups.push(p.cleanup, () => killMarked(marker));
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    const three = ['web-1', 'web-2', 'web-3'];
    const list = await waitFor('web-1..3 running', () => ps(p.dir), allRunning(three));
    for (const c of list) {
      expect(envOf(c.pid!, 'CORRAL_REPLICA')).toBe(c.name.slice('web-'.length));
      expect(envOf(c.pid!, 'CORRAL_COMPONENT')).toBe(c.name);
    }
    expect(processesWithMarker(marker)).toHaveLength(3);
    // `logs web` shows every replica's log.
    const logs = await waitFor(
      'logs of web-1..3',
      () => cli(['logs', 'web'], p.dir),
      (r) => r.code === 0 && ['replica 1', 'replica 2', 'replica 3'].every((l) => r.stdout.includes(l)),
    );
    expect(logs.stdout).toMatch(/web-2/);

    // The base name acts on every replica.
    expect((await cli(['stop', 'web'], p.dir)).code).toBe(0);
    await waitFor('web-1..3 stopped', () => ps(p.dir), (l) => l.every((c) => c.state === 'stopped'));
    expect((await cli(['start', 'web'], p.dir)).code).toBe(0);
    await waitFor('web-1..3 running again', () => ps(p.dir), allRunning(three));
    const before = await pids(p.dir);
    expect((await cli(['restart', 'web'], p.dir)).code).toBe(0);
    const after = await waitFor('web-1..3 restarted', () => ps(p.dir), (l) => allRunning(three)(l) && l.every((c) => c.pid !== before[c.name]));
    expect(after).toHaveLength(3);

    // 3 → 5: two added, the three keep their pids.
    const kept = await pids(p.dir);
    writeFileSync(p.config, config(marker, 5));
    expect((await cli(['reload'], p.dir)).code).toBe(0);
    const five = [...three, 'web-4', 'web-5'];
    const grown = await waitFor('web-1..5 running', () => ps(p.dir), allRunning(five));
    for (const n of three) expect(grown.find((c) => c.name === n)!.pid).toBe(kept[n]);
    expect(envOf(grown.find((c) => c.name === 'web-5')!.pid!, 'CORRAL_REPLICA')).toBe('5');

    // 5 → 2: three removed, the two keep their pids.
    writeFileSync(p.config, config(marker, 2));
    expect((await cli(['reload'], p.dir)).code).toBe(0);
    const shrunk = await waitFor('web-1..2 only', () => ps(p.dir), allRunning(['web-1', 'web-2']));
    for (const n of ['web-1', 'web-2']) expect(shrunk.find((c) => c.name === n)!.pid).toBe(kept[n]);
    await waitFor('three processes gone', () => processesWithMarker(marker), (l) => l.length === 2);

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('depends_on {web: healthy} waits for every replica', async () => {
    const marker = `corral-test-${randomUUID()}`;
    cleanups.push(() => killMarked(marker));
    const flags = mkdtempSync(join(tmpdir(), 'corral-replica-flags-'));
    cleanups.push(() => rmSync(flags, { recursive: true, force: true }));
    d = await daemonFor(`version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  web:
    command: ${idle}
    replicas: 2
    env: { MARK: "${marker}" }
    health: { exec: ["sh", "-c", "test -f \\"${flags}/ready-$CORRAL_REPLICA\\""], interval: 100ms, failures: 1 }
  api:
    command: ${idle}
    env: { MARK: "${marker}" }
    depends_on: { web: healthy }
`);
    const healthy = (name: string) => (e: Parameters<ReturnType<typeof is>>[0]) =>
      is('component.health', name)(e) && (e.event.payload as { status: string }).status === 'healthy';
    await d.waitFor('web-2 started', is('component.started', 'web-2'));
    writeFileSync(join(flags, 'ready-1'), '');
    await d.waitFor('web-1 healthy', healthy('web-1'));
    const api = () => d!.daemon.controller.list().find((c) => c.name === 'api')!;
    expect(api().state).toBe('pending');
    expect(d.seen.some(is('component.started', 'api'))).toBe(false);
    writeFileSync(join(flags, 'ready-2'), '');
    await d.waitFor('web-2 healthy', healthy('web-2'));
    await d.waitFor('api started once every replica is healthy', is('component.started', 'api'));
  });

  it('an entry named like a replica is a validate error at its line', async () => {
    const p = project(`version: 1
components:
  web:
    command: ${idle}
    replicas: 2
  web-1:
    command: ${idle}
`);
    cleanups.push(p.cleanup);
    const result = await loadConfig(p.config);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.errors.find((e) => e.path === 'components.web-1');
    expect(issue?.message).toMatch(/named like a replica of "web"/);
    // The entry's key (6) or its value (7), as the loader places an issue about a whole entry.
    expect([6, 7]).toContain(issue?.line);
    const r = await cli(['validate'], p.dir);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/named like a replica of "web"/);
  });
});

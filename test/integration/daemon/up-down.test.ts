import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, cli, fixtures, killMarked, processesWithMarker, project, ps, running } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { freePort } from '../../helpers/free-port.js';

// Each test marks its components' environment, so it can find every process they
// started (grandchildren included) and prove none is left.
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function threeComponents(marker: string, port: number) {
  return `version: 1
bus: { port: 0 }
resources: { interval: 500ms }
components:
  crasher:
    command: ["sh", "-c", "sleep 0.2; exit 3"]
    env: { MARK: "${marker}" }
    restart: { policy: on-failure, backoff: { initial: 100ms, max: 400ms }, max_restarts: 3, window: 60s }
  web:
    command: node ${join(fixtures, 'http-server.js')}
    env: { PORT: "${port}", MARK: "${marker}" }
    health: { http: "http://127.0.0.1:${port}/health", interval: 200ms, timeout: 1s, failures: 1 }
    restart: { backoff: { initial: 100ms } }
  tree:
    command: sh ${join(fixtures, 'spawn-grandchildren.sh')}
    env: { MARK: "${marker}" }
    depends_on: { web: healthy }
    ready_after: 0s
`;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

describe('corral up -d / ps / events / down (a new user’s first session)', () => {
  it('starts in dependency order, restarts by hand-killed pids, fails the crasher, and down leaves nothing', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const port = await freePort();
    const p = project(threeComponents(marker, port));
    cleanups.push(p.cleanup);

    const up = await cli(['up', '-d'], p.dir);
    // `up -d` returns once every component is ready; the crasher may already have failed (exit 1 naming it) or be running.
    expect([0, 1]).toContain(up.code);

    const list = await waitFor('web healthy and tree running', () => ps(p.dir), (l) =>
      l.some((c) => c.name === 'web' && c.state === 'healthy') && l.some((c) => c.name === 'tree' && c.state === 'running'),
    );
    const web = list.find((c) => c.name === 'web')!;

    // The crasher ends in the crash-loop state, with CMP002 in the history.
    await waitFor('crasher failed', () => ps(p.dir), (l) => l.find((c) => c.name === 'crasher')?.state === 'failed');
    const errors = await cli(['events', '--type', 'error.*', '--json'], p.dir);
    expect(errors.stdout).toContain('"error_code":"CMP002"');

    // The dependant started only after web was healthy.
    const events = (await cli(['events', '--type', 'component.*', '--json', '-n', '200'], p.dir)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_type: string; payload: Record<string, unknown>; timestamp: number });
    const webHealthy = events.find((e) => e.event_type === 'component.health' && e.payload.component === 'web' && e.payload.status === 'healthy')!;
    const treeStarted = events.find((e) => e.event_type === 'component.started' && e.payload.component === 'tree')!;
    expect(treeStarted.timestamp).toBeGreaterThanOrEqual(webHealthy.timestamp);

    // Kill web by hand: corral restarts it under a new pid and generation.
    process.kill(web.pid!, 'SIGKILL');
    const again = await waitFor('web back with a new pid', () => ps(p.dir), (l) => {
      const w = l.find((c) => c.name === 'web');
      return !!w && w.pid !== null && w.pid !== web.pid && w.state === 'healthy';
    });
    expect(again.find((c) => c.name === 'web')!.generation).toBe(web.generation + 1);

    // `corral restart crasher` clears the failed state.
    const restart = await cli(['restart', 'crasher'], p.dir);
    expect(restart.code).toBe(0);

    const down = await cli(['down'], p.dir);
    expect(down.code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('after the daemon is SIGKILLed, the next up ends what it left (grandchildren too) before starting again', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const port = await freePort();
    const p = project(threeComponents(marker, port));
    cleanups.push(p.cleanup);
    await cli(['up', '-d'], p.dir);
    await waitFor('tree running', () => ps(p.dir), (l) => l.some((c) => c.name === 'tree' && c.state === 'running'));
    // tree is ready once it runs (ready_after: 0s): its sh may not have forked the sleeps yet.
    const sleeps = (pids: number[]) => pids.filter((pid) => commandLine(pid) === 'sleep 1000');
    const before = await waitFor('the two sleeps tree forks', () => processesWithMarker(marker), (l) => sleeps(l).length === 2);
    expect(before.length).toBeGreaterThanOrEqual(4); // web + sh + two sleeps
    const daemon = JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number };
    process.kill(daemon.pid, 'SIGKILL');
    await waitFor('daemon gone', () => running(daemon.pid), (alive) => !alive);

    const again = await cli(['up', '-d'], p.dir);
    await waitFor('tree running again', () => ps(p.dir), (l) => l.some((c) => c.name === 'tree' && c.state === 'running'));
    // None of the old processes survived the new daemon's start.
    expect(before.filter(running)).toEqual([]);
    // Said on the terminal, and on the bus.
    const said = /^corral: ended what the previous daemon left: (.*)$/m.exec(again.stderr);
    expect(said, again.stderr).not.toBeNull();
    expect(said![1]!.split(', ')).toEqual(expect.arrayContaining(['web', 'tree']));
    const events = await cli(['events', '--type', 'component.leftovers_ended', '--json'], p.dir);
    const ended = events.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { source: string; payload: { components: string[]; tmux_windows: number } });
    expect(ended).toHaveLength(1);
    expect(ended[0]!.source).toBe('corral');
    expect(ended[0]!.payload.components).toEqual(expect.arrayContaining(['web', 'tree']));

    // Killed again: the foreground up says it too.
    const second = JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number };
    process.kill(second.pid, 'SIGKILL');
    await waitFor('daemon gone', () => running(second.pid), (alive) => !alive);
    const fg = spawn(process.execPath, [bin, 'up', '--no-logs'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
    let fgErr = '';
    fg.stderr.on('data', (c: Buffer) => (fgErr += c.toString()));
    const fgExit = new Promise<number | null>((res) => fg.on('close', (code) => res(code)));
    cleanups.push(async () => {
      if (fg.exitCode === null) fg.kill('SIGKILL');
    });
    await waitFor('the foreground line', () => /^corral: ended what the previous daemon left: .*\btree\b/m.test(fgErr), { detail: () => fgErr });
    fg.kill('SIGTERM');
    expect(await fgExit).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('with no daemon: ps says so and exits 1; an invalid config makes up exit 2 naming the path', async () => {
    const p = project('version: 1\ncomponents:\n  a:\n    command: "true"\n    restrat: { policy: never }\n');
    cleanups.push(p.cleanup);
    const ps1 = await cli(['ps'], p.dir);
    expect(ps1.code).toBe(1);
    expect(ps1.stderr).toContain('not running');
    // A project never run has no state directory: down says so rather than failing on it.
    const down = await cli(['down'], p.dir);
    expect(down).toMatchObject({ code: 0, stderr: '' });
    expect(down.stdout).toContain('corral is not running');
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/components\.a\.restrat/);
  });
  it('up -d does not call a component ready before it has been up for ready_after; down also ends what left the group with setsid', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
components:
  crasher:
    command: ["sh", "-c", "sleep 0.3; exit 3"]
    env: { MARK: "${marker}" }
  escaper:
    command: ["sh", "-c", "setsid sleep 1003 & exec sleep 1004"]
    env: { MARK: "${marker}" }
  quick:
    command: ["sleep", "1000"]
    env: { MARK: "${marker}" }
    ready_after: 0s
`);
    cleanups.push(async () => killMarked(marker));
    cleanups.push(p.cleanup);
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/not ready: crasher \(.*exit code 3\)$/m);
    expect(up.stderr).not.toMatch(/\b(escaper|quick) \(/);
    const escaped = await waitFor('the setsid sleep running', () => processesWithMarker(marker), (l) => l.length >= 3);
    expect(escaped.length).toBeGreaterThanOrEqual(3);

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('down says which component it is waiting for when one ignores SIGTERM, then SIGKILLs it after its stop.timeout', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
components:
  stubborn:
    command: exec node ${join(fixtures, 'ignore-sigterm.js')} > trap.out
    shell: true
    env: { MARK: "${marker}" }
    stop: { timeout: 2s }
    ready_after: 0s
`);
    cleanups.push(async () => killMarked(marker));
    cleanups.push(p.cleanup);
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    await waitFor('the SIGTERM trap', () => existsSync(join(p.dir, 'trap.out')) && readFileSync(join(p.dir, 'trap.out'), 'utf8').includes('ready'));
    const pid = (await ps(p.dir)).find((c) => c.name === 'stubborn')!.pid;
    const down = await cli(['down'], p.dir);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain(`corral down: waiting for stubborn (pid ${pid}) to stop`);
    expect(down.stdout).toContain('corral is down');
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('up -d exits 1 naming a crash loop it caught between two crashes; start/restart honour depends_on', async () => {
    const marker = `corral-test-${randomUUID()}`;
    // web turns healthy only once the looper runs a second time, so `up -d` is still waiting when it
    // first exits (and sees it running again afterwards).
    const p = project(`version: 1
bus: { port: 0 }
components:
  looper:
    command: ["sh", "-c", "if [ -f once ]; then touch twice; fi; touch once; sleep 0.3; exit 3"]
    env: { MARK: "${marker}" }
    restart: { policy: on-failure, backoff: { initial: 100ms, max: 100ms }, max_restarts: 1000, window: 60s }
  web:
    command: ["sleep", "1000"]
    env: { MARK: "${marker}" }
    health: { exec: "test -f twice", interval: 100ms, timeout: 2s, failures: 1 }
  api:
    command: ["sleep", "1000"]
    env: { MARK: "${marker}" }
    depends_on: { web: healthy }
    ready_after: 0s
`);
    cleanups.push(p.cleanup);

    const up = await cli(['up', '-d'], p.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/not ready: looper \((running|backoff)\b.*exit code 3\)$/m);
    expect(up.stderr).not.toMatch(/\b(web|api) \(/);

    // restart api while web is stopped: api does not start, and the CLI says why.
    expect((await cli(['stop', 'web'], p.dir)).code).toBe(0);
    const restart = await cli(['restart', 'api'], p.dir);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain('api: not running: pending (dependency "web" is stopped)');
    // start api starts web first, then api once web is healthy.
    const start = await cli(['start', 'api'], p.dir);
    expect(start.code).toBe(0);
    const list = await ps(p.dir);
    expect(list.find((c) => c.name === 'web')!.state).toBe('healthy');
    expect(list.find((c) => c.name === 'api')!).toMatchObject({ state: 'running', generation: 2 });

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

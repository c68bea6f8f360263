import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, cli, killMarked, processesWithMarker, project, ps, running } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// `corral up NAME...`, `corral down NAME...` and `--profile`, through the
// built CLI and a real daemon: what is left out is `inactive`, `down NAME`
// takes what depends on NAME with it and keeps the daemon, the active
// profiles hold across a reload.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A command that idles, and the env that marks its process as this test's (processesWithMarker reads the environment). */
const idle = (marker: string) => `["node", "-e", "setInterval(() => {}, 1000)"], env: { MARK: "${marker}" }`;
const states = async (dir: string) => Object.fromEntries((await ps(dir)).map((c) => [c.name, c.state]));
const daemonPid = (dir: string) => (JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number }).pid;

describe('up NAME and down NAME', () => {
  it('up -d web starts web (each replica) and what it depends on; the rest is inactive; down web stops it and its dependants and keeps the daemon', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  db: { command: ${idle(marker)}, ready_after: 0s }
  web: { command: ${idle(marker)}, ready_after: 0s, depends_on: [db], replicas: 2 }
  worker: { command: ${idle(marker)}, ready_after: 0s, depends_on: [web] }
  agent: { command: ${idle(marker)}, ready_after: 0s, profiles: [agents] }
  other: { command: ${idle(marker)}, ready_after: 0s }
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    const up = await cli(['up', '-d', 'web'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('3 components ready, 3 inactive');
    expect(await states(p.dir)).toEqual({ db: 'running', 'web-1': 'running', 'web-2': 'running', worker: 'inactive', agent: 'inactive', other: 'inactive' });
    expect(processesWithMarker(marker)).toHaveLength(3);
    const pid = daemonPid(p.dir);

    // On the running daemon: starts worker (web and db already run) and waits for it alone.
    const more = await cli(['up', '-d', 'worker'], p.dir);
    expect(more.code, more.stderr).toBe(0);
    expect(more.stdout).toContain('ready: db, web-1, web-2, worker');
    expect((await states(p.dir)).worker).toBe('running');
    expect(daemonPid(p.dir)).toBe(pid);

    // down web: web-1, web-2 and worker (depends on web); db, and the daemon, keep running.
    const down = await cli(['down', 'web'], p.dir);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('stopped web-1, web-2, worker;');
    expect(await states(p.dir)).toEqual({ db: 'running', 'web-1': 'stopped', 'web-2': 'stopped', worker: 'stopped', agent: 'inactive', other: 'inactive' });
    expect(running(pid)).toBe(true);
    expect(processesWithMarker(marker)).toHaveLength(1);

    // Started again by hand after `down web`: a new start, not a restart, in its log.
    const again = await cli(['up', '-d', 'worker'], p.dir);
    expect(again.code, again.stderr).toBe(0);
    const log = await cli(['logs', 'worker', '-n', '50'], p.dir);
    expect(log.stdout).not.toContain('[corral] restarted');

    // A disabled or unknown name, an unknown profile: exit 2, nothing started.
    const badProfile = await cli(['up', '-d', '--profile', 'nope'], p.dir);
    expect(badProfile.code).toBe(2);
    expect(badProfile.stderr).toBe('corral up: no profile named "nope"; the profiles are: agents\n');

    // An inactive component started by hand then stopped is `stopped` (it ran), not `inactive` (docs/config.md#names-and-profiles).
    expect((await states(p.dir)).other).toBe('inactive');
    expect((await cli(['start', 'other'], p.dir)).code).toBe(0);
    expect((await cli(['stop', 'other'], p.dir)).code).toBe(0);
    expect((await states(p.dir)).other).toBe('stopped');

    // Plain down ends the daemon.
    expect((await cli(['down'], p.dir)).code).toBe(0);
    await waitFor('the daemon gone', () => running(pid), (alive) => !alive);
  });

  it('--profile starts that profile and every component without profiles; the profiles hold across a reload', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const yaml = (extra: string) => `version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  base: { command: ${idle(marker)}, ready_after: 0s }
  devtool: { command: ${idle(marker)}, ready_after: 0s, profiles: [dev] }
  agent: { command: ${idle(marker)}, ready_after: 0s, profiles: [agents, ops] }
${extra}`;
    const p = project(yaml(''));
    cleanups.push(p.cleanup, () => killMarked(marker));
    const up = await cli(['up', '-d', '--profile', 'dev'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    expect(await states(p.dir)).toEqual({ base: 'running', devtool: 'running', agent: 'inactive' });

    // A reload adds one component of each profile: the dev one starts, the other stays inactive.
    writeFileSync(
      p.config,
      yaml(`  devtool2: { command: ${idle(marker)}, ready_after: 0s, profiles: [dev] }
  agent2: { command: ${idle(marker)}, ready_after: 0s, profiles: [agents] }
`),
    );
    expect((await cli(['reload'], p.dir)).code).toBe(0);
    await waitFor('devtool2 running, agent2 inactive', () => states(p.dir), (s) => s.devtool2 === 'running' && s.agent2 === 'inactive');
    expect((await states(p.dir)).agent).toBe('inactive');

    // start of an inactive component starts it.
    expect((await cli(['start', 'agent'], p.dir)).code).toBe(0);
    expect((await states(p.dir)).agent).toBe('running');

    // An unknown profile at start: exit 2 naming the known ones, no daemon left.
    expect((await cli(['down'], p.dir)).code).toBe(0);
    const bad = await cli(['up', '-d', '--profile', 'prod'], p.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no profile named "prod"; the profiles are: agents, dev, ops');
    const unknown = await cli(['up', '-d', 'nope'], p.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no component named "nope"; the components are: base, devtool, agent, devtool2, agent2');
    expect((await cli(['ps'], p.dir)).code).toBe(1); // nothing runs
  });

  it('a foreground up NAME starts NAME and what it needs, the rest inactive; Ctrl-C stops them', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  db: { command: ${idle(marker)}, ready_after: 0s }
  web: { command: ${idle(marker)}, ready_after: 0s, depends_on: [db] }
  other: { command: ${idle(marker)}, ready_after: 0s }
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    const child = spawn(process.execPath, [bin, 'up', 'web'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    cleanups.push(() => void child.kill('SIGKILL'));
    await waitFor(
      'db and web running, other inactive',
      () => states(p.dir).catch(() => ({}) as Record<string, string>),
      (s) => s.db === 'running' && s.web === 'running' && s.other === 'inactive',
    );
    expect(processesWithMarker(marker)).toHaveLength(2);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(processesWithMarker(marker)).toHaveLength(0);
  });

  it('up -d that exits 1 says the daemon is still running, where, and what to do', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  fine: { command: ${idle(marker)}, ready_after: 0s }
  crasher:
    command: ["node", "-e", "process.exit(3)"]
    restart: { policy: never }
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('corral up: not ready: crasher');
    const pid = daemonPid(p.dir);
    const port = (JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { port: number }).port;
    expect(up.stderr).toContain(
      `corral: the daemon is still running (pid ${pid}, http://127.0.0.1:${port}); \`corral ps\` to look, \`corral logs crasher\`, \`corral down\` to stop it\n`,
    );
    expect(running(pid)).toBe(true);
    expect((await states(p.dir)).fine).toBe('running');
  });
});

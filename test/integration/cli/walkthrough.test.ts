import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { cli, killMarked, processesWithMarker, project, ps } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// What a new user's first session ran into, against a real daemon (the built CLI, as a user runs it).
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('corral CLI after a walkthrough', () => {
  it('a missing cwd is named as such, in ps and logs; unknown names are listed; monitor matches ps; refusals and misuse get their exit codes', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
resources: { interval: 200ms }
components:
  zeta:
    command: ["sleep", "600"]
    env: { MARK: "${marker}" }
    ready_after: 0s
  badcwd:
    command: ls
    cwd: ./does-not-exist
    env: { MARK: "${marker}" }
  alpha:
    command: ["sleep", "600"]
    env: { MARK: "${marker}" }
    ready_after: 0s
`);
    cleanups.push(p.cleanup, () => killMarked(marker));

    const up = await cli(['up', '-d'], p.dir);
    expect(up.code).toBe(1);
    const missing = `cwd ${join(p.dir, 'does-not-exist')} does not exist`;
    expect(up.stderr).toContain(missing);
    const list = await ps(p.dir);
    const bad = list.find((c) => c.name === 'badcwd')!;
    expect(bad.state).toBe('failed');
    expect(bad.reason).toContain(missing);
    expect(bad.reason).not.toContain('spawn ls');

    // logs of a component that never started: its failure, exit 1 (there is nothing to show).
    const logs = await cli(['logs', 'badcwd'], p.dir);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain(missing);
    expect(logs.stderr).not.toContain('printed nothing yet');

    const stop = await cli(['stop', 'nosuch'], p.dir);
    expect(stop.code).toBe(2);
    expect(stop.stderr).toBe('nosuch: no component named "nosuch"; the components are: zeta, badcwd, alpha\n');

    // The monitor lists the components in the config's order and prints memory as ps does.
    await waitFor('memory sampled', () => ps(p.dir), (l) => l.every((c) => c.name === 'badcwd' || c.memory_mb !== null));
    const monitor = await cli(['monitor', '--once', '-n', '0'], p.dir);
    expect(monitor.code).toBe(0);
    const rows = monitor.stdout.split('\n').slice(1, 4);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['zeta', 'badcwd', 'alpha']);
    expect(rows[0]).toMatch(/^zeta\s+running\s+0\s+\d+\.\d%\s+\d+\.\d MB\s+-$/);
    expect((await cli(['ps'], p.dir)).stdout).toMatch(/\n\s*zeta .* \d+\.\d MB /);

    // A refusal by the daemon is a failure (1), not bad usage (2).
    const emit = await cli(['emit', 'component.stopped'], p.dir);
    expect(emit.code).toBe(1);
    expect(emit.stderr).toMatch(/reserved/);

    // stdin is a pipe here: no terminal to attach.
    const attach = await cli(['attach', 'zeta'], p.dir);
    expect(attach.code).toBe(2);
    expect(attach.stderr).toBe('corral attach needs a terminal (stdin is not one)\n');

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('start/stop/restart check every name first and take `all`; ls, list and status are ps; a plugin given by path shows its name', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
components:
  alpha:
    command: ["sleep", "600"]
    env: { MARK: "${marker}" }
    ready_after: 0s
  beta:
    plugin: ./plugins/bare/index.mjs
    env: { MARK: "${marker}" }
    ready_after: 0s
  off:
    command: ["sleep", "600"]
    enabled: false
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    // A plugin with no imports, given by path.
    mkdirSync(join(p.dir, 'plugins', 'bare'), { recursive: true });
    writeFileSync(
      join(p.dir, 'plugins', 'bare', 'index.mjs'),
      `export default { name: 'bare', configSchema: { safeParse: (v) => ({ success: true, data: v }) },
         create: (ctx) => ({ start: () => ctx.runners.process({ name: ctx.name, command: ['sleep', '600'], env: ctx.component.env }) }) };\n`,
    );
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const generations = async () => Object.fromEntries((await ps(p.dir)).map((c) => [c.name, `${c.state}/${c.generation}`]));
    const before = await generations();
    expect(before).toEqual({ alpha: 'running/1', beta: 'running/1', off: 'disabled/0' });

    // An unknown name anywhere: nothing is done, one error lists the unknown and the known names.
    const restart = await cli(['restart', 'alpha', 'nosuch'], p.dir);
    expect(restart).toMatchObject({ code: 2, stdout: '' });
    expect(restart.stderr).toBe('nosuch: no component named "nosuch"; the components are: alpha, beta, off\n');
    const stop = await cli(['stop', 'nosuch', 'alpha', 'other'], p.dir);
    expect(stop).toMatchObject({ code: 2, stdout: '' });
    expect(stop.stderr).toBe('no components named "nosuch", "other"; the components are: alpha, beta, off\n');
    expect((await cli(['start', 'alpha', 'nosuch'], p.dir)).code).toBe(2);
    expect(await generations()).toEqual(before);

    // `all`: every enabled component.
    const stopAll = await cli(['stop', 'all'], p.dir);
    expect(stopAll.code).toBe(0);
    expect(stopAll.stdout).toBe('alpha: stopped\nbeta: stopped\n');
    expect(await generations()).toEqual({ alpha: 'stopped/1', beta: 'stopped/1', off: 'disabled/0' });
    expect((await cli(['start', 'all'], p.dir)).stdout).toBe('alpha: started\nbeta: started\n');
    expect((await cli(['restart', 'all', 'alpha'], p.dir)).stdout).toBe('alpha: restarted\nbeta: restarted\n');
    expect(await generations()).toEqual({ alpha: 'running/3', beta: 'running/3', off: 'disabled/0' });

    // ps and its aliases; the plugin given by path is shown by its name.
    const table = await cli(['ps'], p.dir);
    expect(table.stdout).toMatch(/\nbeta\s+bare\s+running\s/);
    for (const alias of ['ls', 'list', 'status']) {
      const r = await cli([alias], p.dir);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(table.stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 3).join(' ')));
    }
    expect((await cli(['--help'], p.dir)).stdout).toContain('(also: ls, list, status)');
    expect((await cli(['ls', '--help'], p.dir)).stdout).toMatch(/^usage: corral ps \[NAME\.\.\.\] \[--json\]/);
    expect((await ps(p.dir)).find((c) => c.name === 'beta')!.plugin).toBe('./plugins/bare/index.mjs'); // --json stays as configured

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('up with no config names both file names it looks for', async () => {
    const r = await cli(['up', '-d'], tempDir('corral-noconfig-'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/create corral\.yaml or config\/ecosystem\.yaml/);
  });

  it('a daemon replays from the shared hook spool only the hooks meant for its own address', async () => {
    const xdg = tempDir('corral-xdg-');
    const elsewhere = tempDir('corral-hook-cwd-');
    const port = await freePort();
    const otherPort = await freePort();
    const env = { XDG_STATE_HOME: xdg };
    // Claude Code in a directory without a config, both daemons down: both hooks go to the shared spool.
    // Its hook body on stdin, then the end of it (an open stdin is read for up to 750 ms).
    const body = JSON.stringify({ session_id: 'walkthrough', hook_event_name: 'Stop' });
    for (const url of [`http://localhost:${port}`, `http://127.0.0.1:${otherPort}`]) {
      expect((await cli(['hook', 'Stop'], elsewhere, 10_000, { ...env, CORRAL_URL: url }, body)).code).toBe(0);
    }
    const spool = join(xdg, 'corral', 'spool');
    expect(readdirSync(spool)).toHaveLength(1);
    // A hook from 8 days ago, for an address where no corral ever runs: past the bus retention age, dropped.
    const old = Date.now() - 8 * 86_400_000;
    const oldFile = join(spool, `hooks-${new Date(old).toISOString().slice(0, 10).replaceAll('-', '')}.jsonl`);
    writeFileSync(oldFile, `${JSON.stringify({ hook_event_name: 'Stop', received_at: old, url: `http://127.0.0.1:${otherPort}`, body: { session_id: 'stale' } })}\n`);

    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: ${port} }
components:
  idle:
    command: ["sleep", "600"]
    env: { MARK: "${marker}" }
    ready_after: 0s
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    expect((await cli(['up', '-d'], p.dir, 60_000, env)).code).toBe(0);
    const stops = await waitFor(
      'the replayed hook',
      async () => (await cli(['events', '--type', 'Stop', '--json'], p.dir)).stdout.trim().split('\n').filter(Boolean),
      (l) => l.length > 0,
    );
    expect(stops).toHaveLength(1);
    // The other daemon's recent hook waits where it was; the stale one is gone, and the daemon says so.
    const left = readdirSync(spool).flatMap((f) => readFileSync(join(spool, f), 'utf8').trim().split('\n'));
    expect(left.map((l) => (JSON.parse(l) as { url: string }).url)).toEqual([`http://127.0.0.1:${otherPort}`]);
    const dropped = `dropped 1 spooled hook older than bus.retention.age (7 days) from ${spool}`;
    await waitFor('the drop in the daemon log', () => readFileSync(join(p.dir, '.corral', 'logs', 'corral.log'), 'utf8'), (log) => log.includes(dropped));
  });
});

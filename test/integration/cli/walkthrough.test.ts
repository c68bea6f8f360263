import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { cli, killMarked, processesWithMarker, project, ps, until } from '../daemon/helpers.js';

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
  badcwd:
    command: ls
    cwd: ./does-not-exist
    env: { MARK: "${marker}" }
  alpha:
    command: ["sleep", "600"]
    env: { MARK: "${marker}" }
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
    await until('memory sampled', () => ps(p.dir), (l) => l.every((c) => c.name === 'badcwd' || c.memory_mb !== null));
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
    for (const url of [`http://localhost:${port}`, `http://127.0.0.1:${otherPort}`]) {
      expect((await cli(['hook', 'Stop'], elsewhere, 10_000, { ...env, CORRAL_URL: url })).code).toBe(0);
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
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    expect((await cli(['up', '-d'], p.dir, 60_000, env)).code).toBe(0);
    const stops = await until(
      'the replayed hook',
      async () => (await cli(['events', '--type', 'Stop', '--json'], p.dir)).stdout.trim().split('\n').filter(Boolean),
      (l) => l.length > 0,
    );
    expect(stops).toHaveLength(1);
    // The other daemon's recent hook waits where it was; the stale one is gone, and the daemon says so.
    const left = readdirSync(spool).flatMap((f) => readFileSync(join(spool, f), 'utf8').trim().split('\n'));
    expect(left.map((l) => (JSON.parse(l) as { url: string }).url)).toEqual([`http://127.0.0.1:${otherPort}`]);
    const dropped = `dropped 1 spooled hook older than bus.retention.age (7 days) from ${spool}`;
    await until('the drop in the daemon log', () => readFileSync(join(p.dir, '.corral', 'logs', 'corral.log'), 'utf8'), (log) => log.includes(dropped));
  });
});

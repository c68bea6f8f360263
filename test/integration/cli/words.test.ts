import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, killMarked, project, ps } from '../daemon/helpers.js';

// No command ignores a word: each acts on exactly what it was given, or
// exits 2 with its usage. Through the built CLI, with a real daemon.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A command that idles, and the env that marks its process as this test's (processesWithMarker reads the environment). */
const idle = (marker: string) => `["node", "-e", "setInterval(() => {}, 1000)"], env: { MARK: "${marker}" }`;
const config = (marker: string) => `version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  db: { command: ${idle(marker)}, ready_after: 0s }
  web: { command: ${idle(marker)}, ready_after: 0s, depends_on: [db] }
  other: { command: ${idle(marker)}, ready_after: 0s }
`;

/** A config with exactly four errors, one per component. */
const FOUR_ERRORS = `version: 1
components:
  a: { command: 3 }
  b: { command: x, restart: { policy: sometimes } }
  c: { command: x, depends_on: [zz] }
  d: { command: x, stop: { timeout: soon } }
`;

describe('every word counts', () => {
  it('validate FILE validates that file; with -c too, or two files: exit 2 with the usage', async () => {
    const p = project(config('unused'));
    cleanups.push(p.cleanup);
    writeFileSync(join(p.dir, 'extra.yaml'), FOUR_ERRORS);
    const extra = await cli(['validate', 'extra.yaml'], p.dir);
    expect(extra.code).toBe(2);
    const lines = extra.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.slice(0, 4).every((l) => l.startsWith('extra.yaml:'))).toBe(true);
    expect(lines[4]).toBe('4 errors in extra.yaml');
    // The default config is valid: it was not the one validated above.
    expect((await cli(['validate'], p.dir)).code).toBe(0);
    const both = await cli(['validate', 'extra.yaml', '-c', 'corral.yaml'], p.dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    expect(both.stderr).toContain('usage: corral validate');
    const two = await cli(['validate', 'extra.yaml', 'corral.yaml'], p.dir);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('usage: corral validate');
  });

  it('reload, monitor and events refuse an extra word with exit 2 and their usage', async () => {
    const p = project(config('unused'));
    cleanups.push(p.cleanup);
    for (const command of ['reload', 'monitor', 'events']) {
      const r = await cli([command, 'extra'], p.dir);
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('takes no arguments (got "extra")');
      expect(r.stderr).toContain(`usage: corral ${command}`);
    }
  });

  it('down NAME with no daemon: an unknown name is exit 2, a known one has nothing to stop', async () => {
    const p = project(config('unused'));
    cleanups.push(p.cleanup);
    const unknown = await cli(['down', 'nope'], p.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('corral down: no component named "nope"; the components are: db, web, other\n');
    const known = await cli(['down', 'web'], p.dir);
    expect(known.code).toBe(0);
    expect(known.stdout).toContain('not running');
  });

  it('ps, up, down, start, stop, restart and logs act on the names given; an unknown one is an error naming the components', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker));
    cleanups.push(p.cleanup, () => killMarked(marker));
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);

    const psWeb = await cli(['ps', 'web', '--json'], p.dir);
    expect(psWeb.code).toBe(0);
    expect((JSON.parse(psWeb.stdout) as { name: string }[]).map((c) => c.name)).toEqual(['web']);
    const table = await cli(['ps', 'db', 'other'], p.dir);
    expect(table.stdout.split('\n').filter((l) => /^(db|web|other) /.test(l)).map((l) => l.split(' ')[0])).toEqual(['db', 'other']);

    const known = 'the components are: db, web, other';
    for (const command of ['ps', 'up', 'down', 'start', 'stop', 'restart']) {
      const r = await cli([command, 'nope'], p.dir);
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr, command).toContain('no component named "nope"');
      expect(r.stderr, command).toContain(known);
    }
    const logs = await cli(['logs', 'nope'], p.dir);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain('the components of');

    // Nothing was touched by the refused commands.
    const list = await ps(p.dir);
    expect(list.map((c) => [c.name, c.state])).toEqual([
      ['db', 'running'],
      ['web', 'running'],
      ['other', 'running'],
    ]);

    // down web: web only (nothing depends on it); the daemon and the rest keep running.
    const down = await cli(['down', 'web'], p.dir);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('stopped web;');
    expect((await ps(p.dir)).map((c) => [c.name, c.state])).toEqual([
      ['db', 'running'],
      ['web', 'stopped'],
      ['other', 'running'],
    ]);
  });
});

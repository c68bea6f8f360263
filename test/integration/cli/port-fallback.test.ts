import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, killMarked, project } from '../daemon/helpers.js';

// --port and CORRAL_PORT, which daemon a command without a config reaches, and history read from events.db: two real daemons.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A port free right now (the daemon binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const portOf = (dir: string) => (JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')) as { port: number }).port;

describe('corral --port, CORRAL_PORT and the fallback daemon', () => {
  it('starts two daemons on the ports given, tells which one a command without a config reaches, refuses control by the fallback, and reads events.db once the daemon is down', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const yaml = (name: string) => `version: 1\nbus: { port: 4000 }\ncomponents:\n  ${name}:\n    command: ["sleep", "600"]\n    env: { MARK: "${marker}" }\n    ready_after: 0s\n`;
    const a = project(yaml('alpha'));
    const b = project(yaml('beta'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'corral-noconfig-'));
    cleanups.push(a.cleanup, b.cleanup, () => killMarked(marker), () => rmSync(elsewhere, { recursive: true, force: true }));
    const [pa, pb] = [await freePort(), await freePort()];

    expect((await cli(['up', '-d', '--port', 'x1', '-c', a.config], a.dir)).code).toBe(2);
    const upA = await cli(['up', '-d', '--port', String(pa), '-c', a.config], a.dir);
    expect(upA.code, upA.stderr).toBe(0);
    const upB = await cli(['up', '-d', '-c', b.config], b.dir, 60_000, { CORRAL_PORT: String(pb) });
    expect(upB.code, upB.stderr).toBe(0);
    // The state directory records the port each daemon serves (over the file's 4000), and a reload keeps it.
    expect(portOf(a.dir)).toBe(pa);
    expect(portOf(b.dir)).toBe(pb);
    expect((await cli(['reload', '-c', a.config], a.dir)).code).toBe(0);
    expect(portOf(a.dir)).toBe(pa);

    // Without a config: CORRAL_PORT or CORRAL_URL names the daemon, and stderr says whose it is.
    const psA = await cli(['ps'], elsewhere, 30_000, { CORRAL_PORT: String(pa), HOME: elsewhere });
    expect(psA.code, psA.stderr).toBe(0);
    expect(psA.stdout).toMatch(/alpha/);
    expect(psA.stderr).toContain(`corral: using the daemon at http://127.0.0.1:${pa} (config ${a.config})`);
    const psB = await cli(['ps'], elsewhere, 30_000, { CORRAL_URL: `http://127.0.0.1:${pb}`, HOME: elsewhere });
    expect(psB.stdout).toMatch(/beta/);
    expect(psB.stderr).toContain(`corral: using the daemon at http://127.0.0.1:${pb} (config ${b.config})`);
    const ev = await cli(['events', '-n', '3'], elsewhere, 30_000, { CORRAL_PORT: String(pb), HOME: elsewhere });
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.stderr).toContain(`(config ${b.config})`);
    // With a config, nothing is said: the daemon is the config's.
    expect((await cli(['ps', '-c', a.config], a.dir)).stderr).not.toContain('using the daemon');

    // A control command by the fallback alone (no config, no CORRAL_URL, no CORRAL_PORT) is refused, naming the ways to name it.
    for (const args of [['down'], ['stop', 'alpha'], ['restart', 'all'], ['reload']]) {
      const r = await cli(args, elsewhere, 30_000, { HOME: elsewhere, CORRAL_URL: '', CORRAL_PORT: '' });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('-c FILE');
      expect(r.stderr).toContain('CORRAL_URL=');
    }
    // Named, it acts.
    const downB = await cli(['down'], elsewhere, 60_000, { CORRAL_PORT: String(pb), HOME: elsewhere });
    expect(downB.code, downB.stderr).toBe(0);
    expect((await cli(['ps', '-c', a.config], a.dir)).stdout).toMatch(/alpha\s+process\s+running/);

    // B is down: its history is read from its events.db, said on stderr, with the same filter and format.
    const offline = await cli(['events', '--type', 'component.stopped', '-c', b.config], b.dir);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stderr).toContain(`corral: the daemon is not running; reading ${join(b.dir, '.corral', 'events.db')}`);
    expect(offline.stdout).toMatch(/component\.stopped\s+corral beta stopped \(signal SIGTERM\)|component\.stopped\s+corral beta stopped/);
    expect(offline.stdout).not.toMatch(/component\.started/);
    const json = await cli(['events', '--json', '-n', '2', '-c', b.config], b.dir);
    expect(json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { source: string }).source)).toHaveLength(2);
  });
});

import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, project, ps, running } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// The state directory deleted under a running daemon (rm -rf .corral): the
// daemon notices within a second or so and makes again what it needs:
// daemon.json, the same token, a new events.db with an error.STO001 event
// saying what happened, the logs. `corral down` keeps working (before: it
// said "not running" and left the daemon and its components running).

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('state directory deleted while the daemon runs', () => {
  it('is made again (daemon.json, the same token, a new store with error.STO001, logs) and corral down still stops everything', { timeout: 90_000 }, async () => {
    const p = project('version: 1\nbus: { port: 0 }\nresources: { enabled: false }\ncomponents:\n  a:\n    command: ["sleep", "300"]\n');
    cleanup = p.cleanup;
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    const stateDir = join(p.dir, '.corral');
    const info = JSON.parse(readFileSync(join(stateDir, 'daemon.json'), 'utf8')) as { pid: number; port: number };
    // The project's cleanup finds the daemon through daemon.json: should it never come back, end it by its pid.
    cleanup = async () => {
      await p.cleanup();
      if (running(info.pid)) process.kill(info.pid, 'SIGKILL');
    };
    const token = readFileSync(join(stateDir, 'token'), 'utf8');
    const [a] = await ps(p.dir);
    expect(a?.state).toBe('running');

    rmSync(stateDir, { recursive: true, force: true });
    await waitFor('daemon.json to be made again', () => existsSync(join(stateDir, 'daemon.json')), Boolean, 20_000);
    expect(JSON.parse(readFileSync(join(stateDir, 'daemon.json'), 'utf8'))).toMatchObject({ pid: info.pid, port: info.port });
    expect(readFileSync(join(stateDir, 'token'), 'utf8')).toBe(token);
    expect(statSync(join(stateDir, 'token')).mode & 0o777).toBe(0o600);

    // A publish after it goes to the new store, after the event that says what happened.
    const res = await fetch(`http://127.0.0.1:${info.port}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'test.after', source: 'test', session_id: 's', payload: {} }),
    });
    expect(res.status).toBe(202);
    const events = await waitFor(
      'error.STO001 and the publish in the new store',
      async () => (await cli(['events', '-n', '20', '--json'], p.dir)).stdout,
      (out) => out.includes('error.STO001') && out.includes('test.after'),
    );
    const lost = events
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_type: string; payload: { error_message?: string } })
      .find((e) => e.event_type === 'error.STO001');
    expect(lost?.payload.error_message).toContain('was deleted while corral ran');
    await waitFor('corral.log made again', () => existsSync(join(stateDir, 'logs', 'corral.log')) && readFileSync(join(stateDir, 'logs', 'corral.log'), 'utf8'), (t) => typeof t === 'string' && t.includes('was deleted'));
    expect((await ps(p.dir))[0]).toMatchObject({ name: 'a', state: 'running', pid: a!.pid });

    const down = await cli(['down'], p.dir);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).not.toContain('not running');
    await waitFor('the daemon to exit', () => running(info.pid), (r) => !r);
    expect(running(a!.pid!)).toBe(false);
  });
});

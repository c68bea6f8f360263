import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, project } from './helpers.js';

// `bus.auth: local` lets the daemon's own user's processes on this machine in
// without the token; another user's process needs the token (which is 0600 in
// the state directory), to publish and to read alike. Needs a second user:
// run as root, the other user is nobody (65534).

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

/** One HTTP request from a process of `uid` (this user when undefined): the status it got. */
function request(port: number, method: string, path: string, token: string | null, uid?: number): Promise<number> {
  const code = `
    const headers = { 'content-type': 'application/json' ${token ? `, authorization: 'Bearer ${token}'` : ''} };
    const body = ${method === 'POST' ? `JSON.stringify({ event_type: 'test.user', source: 'test', session_id: 's', payload: {} })` : 'undefined'};
    fetch('http://127.0.0.1:${port}${path}', { method: '${method}', headers, body }).then((r) => console.log(r.status), (e) => console.log('error ' + e.message));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', code], { cwd: '/', timeout: 20_000, ...(uid === undefined ? {} : { uid, gid: uid }) }, (err, stdout) => {
      if (err) return reject(err);
      resolve(Number(stdout.trim()));
    });
  });
}

describe.runIf(process.platform === 'linux' && process.getuid?.() === 0)('bus.auth: local is this user, not every user of the machine', () => {
  it('another user needs the token to publish and to read; this user does not', { timeout: 90_000 }, async () => {
    const p = project('version: 1\nbus: { port: 0, auth: local }\nresources: { enabled: false }\ncomponents: {}\n');
    cleanup = p.cleanup;
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    const { port } = JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { port: number };
    const token = readFileSync(join(p.dir, '.corral', 'token'), 'utf8').trim();
    const NOBODY = 65534;

    expect(await request(port, 'POST', '/events', null)).toBe(202);
    expect(await request(port, 'GET', '/events?limit=1', null)).toBe(200);
    expect(await request(port, 'POST', '/events', null, NOBODY)).toBe(401);
    expect(await request(port, 'GET', '/events?limit=1', null, NOBODY)).toBe(401);
    expect(await request(port, 'GET', '/events/recent', null, NOBODY)).toBe(401);
    expect(await request(port, 'POST', '/events', token, NOBODY)).toBe(202);
    expect(await request(port, 'GET', '/events?limit=1', token, NOBODY)).toBe(200);

    const down = await cli(['down'], p.dir);
    expect(down.code, down.stderr).toBe(0);
  });
});

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonFor, type TestDaemon } from './in-process.js';

let d: TestDaemon | null = null;

afterEach(async () => {
  await d?.close();
  d = null;
});

const CONFIG = 'version: 1\nbus: { port: 0 }\nresources: { enabled: false }\ncomponents: {}\n';

async function until<T>(what: string, read: () => T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the daemon log never holds the token', () => {
  it('a request with ?token= that aborts mid-body is logged with the token masked', async () => {
    d = await daemonFor(CONFIG);
    const token = readFileSync(join(d.daemon.stateDir, 'token'), 'utf8').trim();
    expect(token.length).toBeGreaterThan(8);
    const port = d.daemon.server.port;
    // Half a body, then the connection is cut: the handler fails and the daemon logs the request.
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: `/events?limit=1&token=${token}&x=1`, headers: { 'content-type': 'application/json', 'content-length': 1000 } });
      req.on('error', () => resolve());
      req.write('{"source":"a"', () => setImmediate(() => req.destroy()));
      req.on('close', () => resolve());
    });
    const log = join(d.daemon.stateDir, 'logs', 'corral.log');
    const text = await until('the failed request in corral.log', () => readFileSync(log, 'utf8'), (t) => t.includes('HTTP handler failed'));
    expect(text).not.toContain(token);
    expect(text).toContain('token=***');
  });
});

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, project } from '../daemon/helpers.js';

// A taken port: the message names the setting that chose it (--port, CORRAL_PORT or bus.port), through the built CLI.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function holdPort(): Promise<number> {
  // Whoever connects (corral asks the holder who it is) is dropped at the end.
  const sockets = new Set<Socket>();
  const s: Server = createServer((c) => sockets.add(c.on('error', () => {})));
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  cleanups.push(() => new Promise<void>((res) => {
    for (const c of sockets) c.destroy();
    s.close(() => res());
  }));
  return (s.address() as AddressInfo).port;
}

describe('up on a taken port', () => {
  it('names --port, CORRAL_PORT or bus.port, whichever chose the port', async () => {
    const port = await holdPort();
    const p = project('version: 1\nbus: { port: 0 }\ncomponents:\n  a: { command: ["sleep", "60"] }\n');
    cleanups.push(p.cleanup);
    const flag = await cli(['up', '-d', '--port', String(port)], p.dir, 60_000, { CORRAL_PORT: '' });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`port ${port} on 127.0.0.1 is taken by`);
    expect(flag.stderr).toContain(`give another port with --port N (it overrides bus.port in ${p.config}), or stop it`);

    const env = await cli(['up', '-d'], p.dir, 60_000, { CORRAL_PORT: String(port) });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(`give another port with CORRAL_PORT=N (it overrides bus.port in ${p.config}), or stop it`);

    const q = project(`version: 1\nbus: { port: ${port} }\ncomponents:\n  a: { command: ["sleep", "60"] }\n`);
    cleanups.push(q.cleanup);
    const file = await cli(['up', '-d'], q.dir, 60_000, { CORRAL_PORT: '' });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`set bus.port in ${q.config} (or give one with --port N or CORRAL_PORT=N), or stop it`);
  });
});

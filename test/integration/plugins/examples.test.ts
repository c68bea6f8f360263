import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { createServer, type CorralServer } from '../../../src/server/index.js';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const children: ChildProcess[] = [];
let server: CorralServer | null = null;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.close();
  server = null;
});

function runExample(file: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(root, 'examples', file)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}


describe('examples/', () => {
  it('web.js answers /health on PORT and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const web = runExample('web.js', { PORT: String(port) });
    await waitFor('web to listen', () => web.output().includes('listening'));
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
    web.child.kill('SIGTERM');
    expect(await web.exited).toBe(0);
  });

  it('flaky.js crashes with exit code 1 after CRASH_AFTER_MS', async () => {
    const flaky = runExample('flaky.js', { CRASH_AFTER_MS: '200' });
    expect(await flaky.exited).toBe(1);
    expect(flaky.output()).toContain('crashing');
  });

  it('ticker.js publishes example.tick events on the bus', async () => {
    const bus = createBus();
    server = await createServer({
      bus,
      host: '127.0.0.1',
      port: 0,
      token: 'example-token',
      auth: 'local',
      allowedOrigins: [],
      maxPayload: 1024 * 1024,
      rateLimit: { rate: 100, burst: 100 },
      heartbeatMs: 30_000,
      history: 10,
      heartbeat: () => ({}),
    });
    const ticks: number[] = [];
    bus.subscribe({ event_type: 'example.tick' }, (e) => ticks.push(Number(e.event.payload.n)));
    runExample('ticker.js', { CORRAL_URL: server.url, TICK_MS: '100', TICKER_NAME: 'ticker-test' });
    await waitFor('three ticks', () => ticks.length >= 3);
    expect(ticks.slice(0, 3)).toEqual([1, 2, 3]);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import type { Bus } from '../../../src/bus/types.js';
import { run } from '../../../src/cli/monitor.js';
import { findDaemon } from '../../../src/cli/daemon-client.js';
import { runInteractive } from '../../../src/monitor/app.js';
import { connectLive, MONITOR_REGISTRATION } from '../../../src/monitor/live.js';
import { createServer, type CorralServer } from '../../../src/server/index.js';
import type { ComponentInfo, Controller } from '../../../src/supervisor/types.js';

const TOKEN = 'test-token-0123456789';

function info(name: string, over: Partial<ComponentInfo> = {}): ComponentInfo {
  return {
    name,
    plugin: 'process',
    state: 'running',
    pid: 1234,
    generation: 1,
    uptime_ms: 5000,
    restarts: 0,
    health: 'healthy',
    reason: null,
    cpu_percent: 1.5,
    memory_mb: 42.25,
    next_restart_in_ms: null,
    depends_on: {},
    ...over,
  };
}

const controller: Controller = {
  list: () => [info('web'), info('flaky', { state: 'backoff', restarts: 3, health: null, cpu_percent: null, memory_mb: null, pid: null })],
  statuses: () => ({ web: 'healthy', flaky: 'starting' }),
  start: async () => {},
  stop: async () => {},
  restart: async () => {},
  reload: async () => ({ ok: true, message: '' }),
  shutdown: async () => {},
};

let dir: string;
let bus: Bus;
let server: CorralServer;

/** A daemon as the CLI finds it: a config, its state directory (daemon.json, token) and a real server on port 0. */
async function startDaemon(): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'corral-monitor-'));
  bus = createBus();
  server = await createServer({
    bus,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    auth: 'local',
    allowedOrigins: [],
    maxPayload: 1024 * 1024,
    rateLimit: { rate: 1000, burst: 1000 },
    heartbeatMs: 30_000,
    history: 100,
    controller,
    heartbeat: () => controller.statuses(),
  });
  const config = join(dir, 'corral.yaml');
  writeFileSync(config, 'version: 1\ncomponents: {}\n');
  mkdirSync(join(dir, '.corral'));
  writeFileSync(join(dir, '.corral', 'daemon.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: server.port, started_at: Date.now(), version: 'test', config }));
  writeFileSync(join(dir, '.corral', 'token'), TOKEN, { mode: 0o600 });
  return config;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function publish(type: string, payload: Record<string, unknown>, source = 'corral', session = 'sess-1'): void {
  const r = bus.publish({ source, session_id: session, event_type: type, payload });
  if (!r.ok) throw new Error(String(r.error.message));
}

async function captureStdout(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write);
  const code = await fn();
  vi.restoreAllMocks();
  return { code, out };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('corral monitor', () => {
  it('--once prints the component table and the last events, then exits', async () => {
    const config = await startDaemon();
    publish('component.started', { component: 'web', pid: 1234, generation: 1 });
    publish('example.tick', { n: 1 }, 'ticker', 'ticker-1');
    publish('component.health', { component: 'web', status: 'healthy' });

    const { code, out } = await captureStdout(() => run(['--once', '-c', config]));
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+RESTARTS\s+CPU\s+MEM\s+HEALTH$/);
    expect(out).toMatch(/flaky\s+backoff\s+3\s+-\s+-\s+-/);
    expect(out).toMatch(/web\s+running\s+0\s+1\.5%\s+42\.3MB\s+healthy/);
    expect(out).toMatch(/events \(all events, last 3\):/);
    const events = lines.slice(lines.findIndex((l) => l.startsWith('events')) + 1).filter(Boolean);
    expect(events.map((l) => l.split(/\s+/)[1])).toEqual(['component.started', 'example.tick', 'component.health']);
  });

  it('--once applies the type filter and the event count', async () => {
    const config = await startDaemon();
    for (let n = 1; n <= 5; n++) publish('example.tick', { n }, 'ticker');
    publish('component.stopped', { component: 'flaky', reason: 'crashed', restarts: 3, next_restart_in_ms: 2000 });
    const { code, out } = await captureStdout(() => run(['--once', '-c', config, '--type', 'example.*', '-n', '2']));
    expect(code).toBe(0);
    expect(out).toContain('events (type=example.*, last 2):');
    expect(out).toContain('{"n":5}');
    expect(out).not.toContain('component.stopped');
    expect(out.match(/example\.tick/g)).toHaveLength(2);
  });

  it('says plainly when no daemon is running', async () => {
    const config = await startDaemon();
    await server.close();
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string) => {
      err += chunk;
      return true;
    }) as typeof process.stderr.write);
    const { code } = await captureStdout(() => run(['--once', '-c', config]));
    expect(code).toBe(1);
    expect(err).toMatch(/corral monitor: corral is not running/);
  });

  it('interactive: registers as cli-monitor, streams events, filters at the prompt, restores the terminal on q', async () => {
    const config = await startDaemon();
    const registered: string[] = [];
    bus.subscribe({ event_type: 'component.started' }, (e) => {
      if (e.event.payload.component === 'cli-monitor') registered.push(JSON.stringify(e.event.payload));
    });
    const input = new PassThrough() as unknown as NodeJS.ReadStream;
    let screen = '';
    const output = Object.assign(
      new Writable({
        write(chunk, _enc, cb) {
          screen += String(chunk);
          cb();
        },
      }),
      { columns: 140, rows: 30, isTTY: true },
    ) as unknown as NodeJS.WriteStream;
    const frame = () => strip(screen.slice(screen.lastIndexOf('\x1b[1;1H')));

    const done = runInteractive({ target: findDaemon(config), filter: {}, connect: connectLive, input, output, color: false, pollMs: 100, frameMs: 20 });
    await until('the component table', () => /web\s+running/.test(frame()));
    await until('registration on the bus', () => registered.length > 0);
    // The bus announces the registration; the capabilities are what the monitor sends with it.
    expect(registered[0]).toContain('"plugin":"websocket"');
    expect(MONITOR_REGISTRATION).toEqual({ component: 'cli-monitor', capabilities: ['display', 'filtering'] });

    publish('example.tick', { n: 7 }, 'ticker');
    publish('component.health', { component: 'web', status: 'unhealthy' });
    await until('live events on screen', () => frame().includes('example.tick') && frame().includes('component.health'));

    (input as unknown as PassThrough).write('type component.*\r');
    await until('the filter applied', () => frame().includes('filter: type=component.*') && !frame().includes('example.tick'));
    publish('example.tick', { n: 8 }, 'ticker');
    publish('component.started', { component: 'flaky' });
    await until('a matching event after the filter', () => /component\.started\s+corral/.test(frame()));
    expect(frame()).not.toContain('n=8');

    (input as unknown as PassThrough).write('bogus\r');
    await until('an error for an unknown command', () => frame().includes('unknown command "bogus"'));

    (input as unknown as PassThrough).write('q\r');
    expect(await done).toBe(0);
    expect(screen.endsWith('\x1b[0m\x1b[?25h\x1b[?1049l')).toBe(true);
    expect(screen.startsWith('\x1b[?1049h')).toBe(true);
  });
});

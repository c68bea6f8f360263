import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { monitorTarget, run } from '../../../src/cli/monitor.js';
import { findDaemon } from '../../../src/cli/daemon-client.js';
import { runInteractive } from '../../../src/monitor/app.js';
import { connectLive, MONITOR_REGISTRATION } from '../../../src/monitor/live.js';
import { startDaemon, strip, type FakeDaemon } from './daemon-fixture.js';
import { waitFor } from '../../helpers/wait-for.js';

let d: FakeDaemon | null = null;

afterEach(async () => {
  vi.restoreAllMocks();
  await d?.close();
  d = null;
});

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

describe('corral monitor', () => {
  it('--once prints the component table and the last events, then exits', async () => {
    d = await startDaemon();
    const { config, publish } = d;
    publish('component.started', { component: 'web', pid: 1234, generation: 1 });
    publish('example.tick', { n: 1 }, 'ticker', 'ticker-1');
    publish('component.health', { component: 'web', status: 'healthy' });

    const { code, out } = await captureStdout(() => run(['--once', '-c', config]));
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+RESTARTS\s+CPU\s+MEM\s+HEALTH$/);
    // In the daemon's order (the config's), memory as `corral ps` prints it.
    expect(lines[1]).toMatch(/^web\s+running\s+0\s+1\.5%\s+42\.3 MB\s+healthy$/);
    expect(lines[2]).toMatch(/^flaky\s+backoff\s+3\s+-\s+-\s+-$/);
    expect(out).toMatch(/events \(all events, last 3\):/);
    const events = lines.slice(lines.findIndex((l) => l.startsWith('events')) + 1).filter(Boolean);
    expect(events.map((l) => l.split(/\s+/)[1])).toEqual(['component.started', 'example.tick', 'component.health']);
  });

  it('--once applies the type filter and the event count', async () => {
    d = await startDaemon();
    const { config, publish } = d;
    for (let n = 1; n <= 5; n++) publish('example.tick', { n }, 'ticker');
    publish('component.stopped', { component: 'flaky', reason: 'crashed', restarts: 3, next_restart_in_ms: 2000 });
    const { code, out } = await captureStdout(() => run(['--once', '-c', config, '--type', 'example.*', '-n', '2']));
    expect(code).toBe(0);
    expect(out).toContain('events (type=example.*, last 2):');
    expect(out).toContain('{"n":5}');
    expect(out).not.toContain('component.stopped');
    expect(out.match(/example\.tick/g)).toHaveLength(2);
  });

  it('--host keeps the events of that host (federation) and names source@host', async () => {
    d = await startDaemon();
    const { config, publish, bus } = d;
    publish('example.tick', { n: 0 }, 'ticker');
    for (const [n, host] of [[1, 'far'], [2, 'near'], [3, 'far']] as const) {
      const r = bus.publishForeign!({ source: 'ticker', session_id: 's', event_type: 'example.tick', host, payload: { n } });
      expect(r.ok).toBe(true);
    }
    const { code, out } = await captureStdout(() => run(['--once', '-c', config, '--host', 'far']));
    expect(code).toBe(0);
    expect(out).toContain('events (host=far, last 2):');
    expect(out).toContain('{"n":1}');
    expect(out).toContain('{"n":3}');
    expect(out).not.toContain('{"n":2}');
    expect(out).not.toContain('{"n":0}');
    expect(out.match(/ticker@far/g)).toHaveLength(2);
  });

  it('says plainly when no daemon is running', async () => {
    d = await startDaemon();
    const { config } = d;
    await d.server.close();
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
    d = await startDaemon();
    const { config, publish } = d;
    const registered: string[] = [];
    d.bus.subscribe({ event_type: 'component.started' }, (e) => {
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

    const done = runInteractive({ target: monitorTarget(findDaemon(config)), filter: {}, connect: connectLive, input, output, color: false, pollMs: 100, frameMs: 20 });
    await waitFor('the component table', () => /web\s+running/.test(frame()));
    await waitFor('registration on the bus', () => registered.length > 0);
    // The bus announces the registration with the capabilities the monitor sent.
    expect(registered[0]).toContain('"plugin":"websocket"');
    expect(MONITOR_REGISTRATION).toEqual({ component: 'cli-monitor', capabilities: ['display', 'filtering'] });
    expect(registered[0]).toContain('"capabilities":["display","filtering"]');

    publish('example.tick', { n: 7 }, 'ticker');
    publish('component.health', { component: 'web', status: 'unhealthy' });
    await waitFor('live events on screen', () => frame().includes('example.tick') && frame().includes('component.health'));

    (input as unknown as PassThrough).write('type component.*\r');
    await waitFor('the filter applied', () => frame().includes('filter: type=component.*') && !frame().includes('example.tick'));
    publish('example.tick', { n: 8 }, 'ticker');
    publish('component.started', { component: 'flaky' });
    await waitFor('a matching event after the filter', () => /component\.started\s+corral/.test(frame()));
    expect(frame()).not.toContain('n=8');

    (input as unknown as PassThrough).write('bogus\r');
    await waitFor('an error for an unknown command', () => frame().includes('unknown command "bogus"'));

    (input as unknown as PassThrough).write('q\r');
    expect(await done).toBe(0);
    expect(screen.endsWith('\x1b[0m\x1b[?25h\x1b[?1049l')).toBe(true);
    expect(screen.startsWith('\x1b[?1049h')).toBe(true);
  });
});

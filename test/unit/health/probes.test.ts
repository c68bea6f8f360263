import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema } from '../../../src/config/schema.js';
import { createProbe, startProbeLoop, type HealthStatus, type ProbeResult } from '../../../src/health/index.js';
import type { LogSink } from '../../../src/logs/types.js';
import type { Instance } from '../../../src/plugins/types.js';
import { runProcess } from '../../../src/runners/process/index.js';
import { isProcessRunning, signalGroup } from '../../../src/runners/process/group.js';
import { waitFor } from '../../helpers/wait-for.js';

const fixtures = new URL('../../fixtures/', import.meta.url).pathname;
const never = new AbortController().signal;

let server: Instance;
let base: string;

beforeAll(async () => {
  let out = '';
  let onData: () => void = () => {};
  const logs: LogSink = {
    path: '',
    dropped: 0,
    write(_s, chunk) {
      out += String(chunk);
      onData();
    },
    flush() {},
    async close() {},
  };
  server = await runProcess({ name: 'web', command: ['node', `${fixtures}http-server.js`], logs });
  const port = await new Promise<string>((resolve) => {
    onData = () => {
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    onData();
  });
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (server?.pid) signalGroup(server.pid, 'SIGKILL');
  await server?.exited;
});

/** A port with nothing listening: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('http probe', () => {
  it('is ok on 2xx', async () => {
    const probe = createProbe(HealthSchema.parse({ http: `${base}/health` }));
    expect(probe.kind).toBe('http');
    expect(await probe.check(never)).toEqual({ ok: true, detail: 'HTTP 200', timedOut: false });
  });
  it('fails on 500 and on a refused connection', async () => {
    expect(await createProbe(HealthSchema.parse({ http: `${base}/fail` })).check(never)).toEqual({ ok: false, detail: 'HTTP 500', timedOut: false });
    const port = await closedPort();
    const r = await createProbe(HealthSchema.parse({ http: `http://127.0.0.1:${port}/` })).check(never);
    expect(r).toMatchObject({ ok: false, timedOut: false });
    expect(r.detail).toMatch(/ECONNREFUSED/);
  });
  it('times out on a hanging endpoint', async () => {
    const r = await createProbe(HealthSchema.parse({ http: `${base}/hang`, timeout: '200ms' })).check(never);
    expect(r).toEqual({ ok: false, detail: 'timed out after 200ms', timedOut: true });
  });
});

describe('tcp probe', () => {
  it('is ok when it connects, fails when refused', async () => {
    const port = new URL(base).port;
    expect(await createProbe(HealthSchema.parse({ tcp: `127.0.0.1:${port}` })).check(never)).toMatchObject({ ok: true, timedOut: false });
    expect(await createProbe(HealthSchema.parse({ tcp: port })).check(never)).toMatchObject({ ok: true });
    const r = await createProbe(HealthSchema.parse({ tcp: String(await closedPort()) })).check(never);
    expect(r).toMatchObject({ ok: false, timedOut: false });
    expect(r.detail).toMatch(/ECONNREFUSED/);
  });
});

describe('exec probe', () => {
  it('is ok on exit 0 and fails otherwise, with the last output line', async () => {
    expect(await createProbe(HealthSchema.parse({ exec: 'true' })).check(never)).toMatchObject({ ok: true, detail: 'exit 0' });
    expect(await createProbe(HealthSchema.parse({ exec: 'echo not ready; exit 3' })).check(never)).toEqual({
      ok: false,
      detail: 'exit 3: not ready',
      timedOut: false,
    });
    expect(await createProbe(HealthSchema.parse({ exec: ['node', '-e', 'process.exit(0)'] })).check(never)).toMatchObject({ ok: true });
  });
  it('reports a missing program', async () => {
    const r = await createProbe(HealthSchema.parse({ exec: ['corral-no-such-probe'] })).check(never);
    expect(r).toMatchObject({ ok: false, timedOut: false });
    expect(r.detail).toMatch(/ENOENT/);
  });
  it('kills a hanging probe and its children on timeout', async () => {
    // The shell starts the hanging node process; both must be gone when the check settles.
    const probe = createProbe(HealthSchema.parse({ exec: `node ${fixtures}hang-health.js & wait`, timeout: '500ms' }));
    const pending = probe.check(never);
    let hungPid = 0;
    await waitFor('the probe process', () => (hungPid = findChildRunning('hang-health.js')) > 0);
    expect(await pending).toEqual({ ok: false, detail: 'timed out after 500ms', timedOut: true });
    expect(isProcessRunning(hungPid)).toBe(false);
  });
  it('leaves no process behind when the caller aborts', async () => {
    let hungPid = 0;
    const probe = createProbe(HealthSchema.parse({ exec: ['node', `${fixtures}hang-health.js`], timeout: '30s' }));
    const ctl = new AbortController();
    const pending = probe.check(ctl.signal);
    await waitFor('the probe process', () => {
      hungPid = findChildRunning('hang-health.js');
      return hungPid > 0;
    });
    ctl.abort();
    const r = await pending;
    expect(r.ok).toBe(false);
    expect(isProcessRunning(hungPid)).toBe(false);
  });
});

describe('startProbeLoop', () => {
  it('reports the first status and then only changes', async () => {
    const results = [true, true, false, false, false, false, true, true];
    let i = 0;
    const statuses: Array<[HealthStatus, string]> = [];
    const loop = startProbeLoop({
      probe: { kind: 'exec', target: 'fake', check: async () => ({ ok: results[i++] ?? true, detail: `check ${i}`, timedOut: false }) },
      interval: 1,
      timeout: 1000,
      failures: 3,
      initial_delay: 0,
      onStatus: (s, d) => statuses.push([s, d]),
    });
    try {
      await waitFor('all checks', () => i >= results.length);
      expect(statuses).toEqual([
        ['healthy', 'check 1'],
        ['unhealthy', 'check 5'],
        ['healthy', 'check 7'],
      ]);
    } finally {
      await loop.stop();
    }
  });

  it('while starting, a failed check is retried quickly, so a late listener is healthy long before one interval', async () => {
    let checks = 0;
    const statuses: HealthStatus[] = [];
    const t0 = Date.now();
    let healthyAfter = -1;
    const loop = startProbeLoop({
      // Fails twice (the server is not listening yet), then succeeds.
      probe: { kind: 'exec', target: 'fake', check: async () => ({ ok: ++checks >= 3, detail: `check ${checks}`, timedOut: false }) },
      interval: 60_000,
      timeout: 1000,
      failures: 2,
      initial_delay: 0,
      onStatus: (st) => {
        statuses.push(st);
        if (st === 'healthy') healthyAfter = Date.now() - t0;
      },
    });
    try {
      await waitFor('a status', () => statuses.length > 0);
      // Two checks failed, yet no unhealthy (failures: 2): only checks on the regular schedule count,
      // and the first one (at 0) was the only one of those.
      expect(statuses).toEqual(['healthy']);
      expect(checks).toBe(3);
      expect(healthyAfter).toBeLessThan(60_000);
    } finally {
      await loop.stop();
    }
  });

  it('while starting, quick re-checks do not count toward failures: unhealthy comes on the regular schedule', async () => {
    const times: number[] = [];
    const statuses: HealthStatus[] = [];
    const t0 = Date.now();
    let unhealthyAfter = -1;
    const loop = startProbeLoop({
      probe: { kind: 'exec', target: 'fake', check: async () => (times.push(Date.now() - t0), { ok: false, detail: 'refused', timedOut: false }) },
      interval: 400,
      timeout: 1000,
      failures: 2,
      initial_delay: 0,
      onStatus: (st) => {
        statuses.push(st);
        unhealthyAfter = Date.now() - t0;
      },
    });
    try {
      await waitFor('a status', () => statuses.length > 0);
      expect(statuses).toEqual(['unhealthy']);
      // The second counted failure is the regular check at 400 ms; quick ones came between.
      expect(unhealthyAfter).toBeGreaterThanOrEqual(390); // timers may fire a millisecond early
      expect(times.length).toBeGreaterThan(2);
    } finally {
      await loop.stop();
    }
  });

  it('never overlaps checks and times out a hanging endpoint without getting stuck', async () => {
    const probe = createProbe(HealthSchema.parse({ http: `${base}/hang`, timeout: '10s' }));
    let running = 0;
    let maxRunning = 0;
    const results: ProbeResult[] = [];
    const statuses: Array<[HealthStatus, boolean]> = [];
    const loop = startProbeLoop({
      probe: {
        ...probe,
        check: async (signal) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          try {
            return await probe.check(signal);
          } finally {
            running--;
          }
        },
      },
      interval: 10,
      timeout: 100,
      failures: 2,
      initial_delay: 0,
      onStatus: (s, _d, timedOut) => statuses.push([s, timedOut]),
      onResult: (r) => results.push(r),
    });
    try {
      // The loop keeps going: several timed-out checks in a row, one status report.
      await waitFor('four checks', () => results.length >= 4);
      expect(results.every((r) => r.timedOut && !r.ok && r.detail === 'timed out after 100ms')).toBe(true);
      expect(statuses).toEqual([['unhealthy', true]]);
      expect(maxRunning).toBe(1);
    } finally {
      await loop.stop();
    }
  });

  it('stop ends a check in flight and reports nothing after', async () => {
    const statuses: string[] = [];
    let started = false;
    const probe = createProbe(HealthSchema.parse({ exec: ['node', `${fixtures}hang-health.js`], timeout: '30s' }));
    const loop = startProbeLoop({
      probe: { ...probe, check: (s) => ((started = true), probe.check(s)) },
      interval: 10,
      timeout: 30_000,
      failures: 1,
      initial_delay: 0,
      onStatus: (s) => statuses.push(s),
    });
    await waitFor('the check to start', () => started && findChildRunning('hang-health.js') > 0);
    const pid = findChildRunning('hang-health.js');
    await loop.stop();
    expect(isProcessRunning(pid)).toBe(false);
    expect(statuses).toEqual([]);
  });
});

/** A running process whose command line mentions `needle` and whose ancestor is this test process. */
function findChildRunning(needle: string): number {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(needle) && isProcessRunning(pid) && descendsFromUs(pid)) return pid;
    } catch {}
  }
  return 0;
}

function descendsFromUs(pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 10; hops++) {
    if (p === process.pid) return true;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

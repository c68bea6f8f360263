import { afterEach, describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import type { Bus } from '../../../src/bus/types.js';
import { createResourceMonitor, type ResourceMonitor, type ResourceTarget } from '../../../src/resources/monitor.js';
import { fixture, killAll, killGroup, startFixture, type FixtureProc } from './procs.js';
import { waitFor } from '../../helpers/wait-for.js';

const MB = 1024 * 1024;
let monitor: ResourceMonitor | null = null;

afterEach(() => {
  monitor?.stop();
  monitor = null;
  killAll();
});

/** The resource.alert events and RES001 errors the bus carried, in order. */
function record(bus: Bus) {
  const alerts: Record<string, unknown>[] = [];
  const errors: Record<string, unknown>[] = [];
  bus.subscribe({}, (entry) => {
    if (entry.event.event_type === 'resource.alert') alerts.push(entry.event.payload);
    if (entry.event.event_type === 'error.RES001') errors.push(entry.event.payload);
  });
  return { alerts, errors, levels: () => alerts.map((a) => a.alert_level) };
}

async function startLeak(): Promise<FixtureProc> {
  const leak = startFixture(process.execPath, [fixture('leak-memory.js'), '60']);
  await leak.waitLine('ready');
  return leak;
}

/** Asks the leak to grow and waits until it says the block is resident. */
async function grow(leak: FixtureProc): Promise<void> {
  const from = leak.lines.length;
  leak.send('grow');
  await leak.waitLine('rss', from);
}

describe('resource monitor', () => {
  it('a leak past warning then critical: one warning, one critical + RES001, one graceful restart, then info', async () => {
    const bus = createBus();
    const seen = record(bus);
    let leak = await startLeak();
    const target: ResourceTarget = { name: 'leaky', pids: [leak.pid], limits: {}, samples: 3, onCritical: 'restart' };
    const restarts: string[] = [];
    monitor = createResourceMonitor({
      bus,
      interval: 60_000,
      samples: 3,
      getTargets: () => [target],
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      onRestart: async (name) => {
        restarts.push(name);
        // The supervisor's graceful restart: stop the group, start a fresh copy.
        killGroup(leak.pid);
        leak = await startLeak();
        target.pids = [leak.pid];
      },
    });
    // Thresholds relative to the fixture's own baseline: warning after one 60 MB step, critical after two.
    monitor.sampleNow();
    const base = monitor.lastSample('leaky')!.memory_mb * MB;
    target.limits = { memory: { warning: base + 40 * MB, critical: base + 100 * MB } };
    for (let i = 0; i < 3; i++) monitor.sampleNow();
    expect(seen.alerts).toEqual([]);

    await grow(leak);
    for (let i = 0; i < 3; i++) monitor.sampleNow();
    expect(seen.levels()).toEqual(['warning']);
    for (let i = 0; i < 3; i++) monitor.sampleNow();
    expect(seen.levels()).toEqual(['warning']);

    const before = leak.pid;
    await grow(leak);
    for (let i = 0; i < 3; i++) monitor.sampleNow();
    expect(seen.levels()).toEqual(['warning', 'critical']);
    expect(seen.errors).toHaveLength(1);
    expect(seen.errors[0]).toMatchObject({ error_code: 'RES001', component: 'leaky', severity: 'critical' });
    await waitFor('the restart', () => target.pids[0] !== before);
    expect(restarts).toEqual(['leaky']);

    for (let i = 0; i < 6; i++) monitor.sampleNow();
    expect(seen.levels()).toEqual(['warning', 'critical', 'info']);
    expect(restarts).toEqual(['leaky']);
    const [warning, critical, info] = seen.alerts;
    expect(warning).toMatchObject({ component: 'leaky', previous_level: 'info' });
    expect(String(warning!.message)).toMatch(/^memory [\d.]+ MB is over the warning threshold/);
    expect(String(critical!.message)).toMatch(/over the critical threshold/);
    expect(info).toMatchObject({ previous_level: 'critical', metrics: { active_connections: 0, event_queue_size: 0 } });
  });

  it('a child that spawns grandchildren holding the memory still raises the alert', async () => {
    const bus = createBus();
    const seen = record(bus);
    const tree = startFixture(process.execPath, [fixture('tree-memory.js'), '40', '2', '2']);
    await tree.waitLine('ready');
    monitor = createResourceMonitor({
      bus,
      interval: 60_000,
      samples: 1,
      // The root process alone is far under 120 MB; its four leaves hold 160 MB.
      getTargets: () => [{ name: 'tree', pids: [tree.pid], limits: { memory: { warning: 120 * MB } }, onCritical: 'alert' }],
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      onRestart: () => Promise.reject(new Error('no restart expected')),
    });
    monitor.sampleNow();
    expect(seen.levels()).toEqual(['warning']);
    expect(monitor.lastSample('tree')!.pids).toHaveLength(7);
  });

  it('a changed threshold only: no restart, and the next sample is judged by it', async () => {
    const bus = createBus();
    const seen = record(bus);
    const leak = await startLeak();
    const target: ResourceTarget = {
      name: 'api',
      pids: [leak.pid],
      limits: { memory: { warning: 10_000 * MB, critical: 20_000 * MB } },
      samples: 1,
      onCritical: 'restart',
    };
    let restarts = 0;
    monitor = createResourceMonitor({
      bus,
      interval: 60_000,
      getTargets: () => [target],
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      onRestart: async () => void restarts++,
    });
    for (let i = 0; i < 3; i++) monitor.sampleNow();
    expect(seen.alerts).toEqual([]);
    target.limits = { memory: { warning: 1 * MB, critical: 20_000 * MB } };
    monitor.sampleNow();
    expect(seen.levels()).toEqual(['warning']);
    expect(restarts).toBe(0);
    expect(target.pids).toEqual([leak.pid]);
    expect(monitor.lastSample('api')!.pids).toEqual([leak.pid]);
  });

  it('cpu over the threshold longer than for: one alert, on the timer', async () => {
    const bus = createBus();
    const seen = record(bus);
    const spin = startFixture(process.execPath, [fixture('cpu-spin.js')]);
    await spin.waitLine('spinning');
    let passes = 0;
    monitor = createResourceMonitor({
      bus,
      interval: 200,
      samples: 2,
      getTargets: () => [{ name: 'spin', pids: [spin.pid], limits: { cpu: { warning: 5, for: 1000 } }, onCritical: 'alert' }],
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      onRestart: () => Promise.reject(new Error('no restart expected')),
      setSample: () => void passes++,
    });
    monitor.start();
    await waitFor('a cpu alert', () => seen.alerts.length > 0);
    const at = passes;
    await waitFor('eight more passes', () => passes >= at + 8);
    expect(seen.levels()).toEqual(['warning']);
    expect(String(seen.alerts[0]!.message)).toMatch(/^cpu [\d.]+% has been over the warning threshold 5% for 1s/);
  });

  it('a short cpu spike raises nothing', async () => {
    const bus = createBus();
    const seen = record(bus);
    // Shorter than `for:` by far, but longer than the samples an alert needs.
    const spin = startFixture(process.execPath, [fixture('cpu-spin.js'), '600', 'stay']);
    const cpu: number[] = [];
    monitor = createResourceMonitor({
      bus,
      interval: 100,
      samples: 2,
      getTargets: () => [{ name: 'spike', pids: [spin.pid], limits: { cpu: { warning: 20, critical: 50, for: 3000 } }, onCritical: 'alert' }],
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      onRestart: () => Promise.reject(new Error('no restart expected')),
      setSample: (_name, s) => void cpu.push(s.cpu_percent),
    });
    monitor.start();
    await spin.waitLine('idle');
    const at = cpu.length;
    await waitFor('ten more passes', () => cpu.length >= at + 10);
    // The spike was measured: at least `samples` consecutive samples over warning, so only `for:` kept it quiet.
    let run = 0;
    let longest = 0;
    for (const c of cpu) longest = Math.max(longest, (run = c > 20 ? run + 1 : 0));
    expect(longest, `cpu samples: ${cpu.join(', ')}`).toBeGreaterThanOrEqual(2);
    expect(seen.alerts).toEqual([]);
  });

  it('measures the daemon itself as corral, without the components it started', async () => {
    const bus = createBus();
    const seen = record(bus);
    const leak = await startLeak();
    monitor = createResourceMonitor({
      bus,
      interval: 60_000,
      samples: 1,
      getTargets: () => [{ name: 'leaky', pids: [leak.pid], limits: {}, onCritical: 'alert' }],
      self: () => ({ active_connections: 7, event_queue_size: 3 }),
      selfTarget: () => ({ limits: { memory: { warning: 1 } } }),
      onRestart: () => Promise.reject(new Error('no restart expected')),
    });
    monitor.sampleNow();
    const me = monitor.lastSample('corral')!;
    expect(me.pids).toContain(process.pid);
    expect(me.pids).not.toContain(leak.pid);
    expect(me.memory_mb).toBeGreaterThan(0);
    expect(seen.alerts).toHaveLength(1);
    expect(seen.alerts[0]).toMatchObject({
      component: 'corral',
      alert_level: 'warning',
      metrics: { active_connections: 7, event_queue_size: 3 },
    });
  });
});

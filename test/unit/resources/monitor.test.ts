import { describe, expect, it, vi } from 'vitest';
import { createResourceMonitor, type ResourceTarget } from '../../../src/resources/monitor.js';
import type { TreeSample, TreeSampler } from '../../../src/resources/sampler.js';

const MB = 1024 * 1024;

/** A sampler whose memory readings the test sets per name. */
function fakeSampler(memory: Map<string, number>): TreeSampler & { passes: number; closed: number } {
  const s = {
    passes: 0,
    closed: 0,
    sample(roots: ReadonlyMap<string, readonly number[]>) {
      s.passes++;
      const out = new Map<string, TreeSample>();
      for (const [name, pids] of roots) out.set(name, { cpu_percent: 1, memory_mb: memory.get(name) ?? 10, pids: [...pids] });
      return out;
    },
    close() {
      s.closed++;
    },
  };
  return s;
}

function recorder() {
  const events: { event_type: string; payload: Record<string, unknown> }[] = [];
  const errors: Record<string, unknown>[] = [];
  return {
    events,
    errors,
    bus: {
      sessionId: 's1',
      publish: (e: unknown) => {
        events.push(e as (typeof events)[number]);
        return { ok: true } as never;
      },
      publishError: (e: Record<string, unknown>) => {
        errors.push(e);
        return { ok: true } as never;
      },
    },
  };
}

describe('resource monitor (fake sampler)', () => {
  const limits = { memory: { warning: 100 * MB, critical: 200 * MB } };

  it('publishes resource.alert from corral, RES001 on critical, restarts once per critical episode', async () => {
    const memory = new Map([['api', 10]]);
    const rec = recorder();
    const onRestart = vi.fn(() => Promise.resolve());
    const target: ResourceTarget = { name: 'api', pids: [100], limits, onCritical: 'restart' };
    const m = createResourceMonitor({
      bus: rec.bus,
      interval: 1000,
      samples: 1,
      getTargets: () => [target],
      onRestart,
      self: () => ({ active_connections: 2, event_queue_size: 5 }),
      sampler: fakeSampler(memory),
    });
    memory.set('api', 250);
    m.sampleNow();
    m.sampleNow();
    expect(rec.events.map((e) => [e.event_type, e.payload.alert_level])).toEqual([['resource.alert', 'critical']]);
    expect(rec.events[0]).toMatchObject({ source: 'corral', session_id: 's1', payload: { component: 'api' } });
    expect(rec.errors).toMatchObject([{ error_code: 'RES001', component: 'api' }]);
    expect(onRestart).toHaveBeenCalledTimes(1);
    memory.set('api', 10);
    m.sampleNow();
    memory.set('api', 250);
    m.sampleNow();
    // A new episode: another restart.
    expect(onRestart).toHaveBeenCalledTimes(2);
    expect(rec.events.map((e) => e.payload.alert_level)).toEqual(['critical', 'info', 'critical']);
  });

  it('a reload that turns on_critical to restart while the component is critical restarts it at once, once', async () => {
    const memory = new Map([['api', 250]]);
    const rec = recorder();
    const onRestart = vi.fn(() => Promise.resolve());
    const target: ResourceTarget = { name: 'api', pids: [100], limits, onCritical: 'alert' };
    const m = createResourceMonitor({
      bus: rec.bus,
      interval: 1000,
      samples: 1,
      getTargets: () => [target],
      onRestart,
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      sampler: fakeSampler(memory),
    });
    m.sampleNow();
    expect(onRestart).not.toHaveBeenCalled();
    target.onCritical = 'restart';
    m.sampleNow();
    m.sampleNow();
    expect(onRestart).toHaveBeenCalledTimes(1);
    expect(onRestart).toHaveBeenCalledWith('api', 'on_critical restart: critical when on_critical: restart was applied');
    // Still one critical alert: the level never changed.
    expect(rec.events.map((e) => e.payload.alert_level)).toEqual(['critical']);
  });

  it('a reload to on_critical: restart does not restart a component whose level is still critical but whose sample is not', async () => {
    const memory = new Map([['api', 250]]);
    const rec = recorder();
    const onRestart = vi.fn(() => Promise.resolve());
    const target: ResourceTarget = { name: 'api', pids: [100], limits, onCritical: 'alert' };
    const m = createResourceMonitor({
      bus: rec.bus,
      interval: 1000,
      samples: 3,
      getTargets: () => [target],
      onRestart,
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      sampler: fakeSampler(memory),
    });
    for (let i = 0; i < 3; i++) m.sampleNow();
    expect(rec.events.map((e) => e.payload.alert_level)).toEqual(['critical']);
    // Recovered (a fresh generation, say), but the level comes down only after 3 samples.
    memory.set('api', 10);
    target.onCritical = 'restart';
    m.sampleNow();
    expect(onRestart).not.toHaveBeenCalled();
  });

  it('on_critical: alert does not restart; a failed restart is reported', async () => {
    const memory = new Map([['a', 250], ['b', 250]]);
    const rec = recorder();
    const onError = vi.fn();
    const m = createResourceMonitor({
      bus: rec.bus,
      interval: 1000,
      samples: 1,
      getTargets: () => [
        { name: 'a', pids: [1], limits, onCritical: 'alert' },
        { name: 'b', pids: [2], limits, onCritical: 'restart' },
      ],
      onRestart: (name) => (name === 'a' ? Promise.resolve() : Promise.reject(new Error('stop timed out'))),
      onError,
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      sampler: fakeSampler(memory),
    });
    m.sampleNow();
    await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(1));
    expect(onError.mock.calls[0]![1]).toBe('b');
  });

  it('sets the sample of each component, skips a target with no process, and judges corral with its own metrics', () => {
    const rec = recorder();
    const setSample = vi.fn();
    const sampler = fakeSampler(new Map([['corral', 300]]));
    const m = createResourceMonitor({
      bus: rec.bus,
      interval: 1000,
      samples: 1,
      getTargets: () => [
        { name: 'api', pids: [100], limits: {}, onCritical: 'alert' },
        { name: 'down', pids: [], limits, onCritical: 'alert' },
      ],
      onRestart: () => Promise.resolve(),
      self: () => ({ active_connections: 3, event_queue_size: 4 }),
      selfTarget: () => ({ limits }),
      selfPid: 4242,
      setSample,
      sampler,
    });
    m.sampleNow();
    expect(setSample.mock.calls).toEqual([['api', { cpu_percent: 1, memory_mb: 10 }]]);
    expect(m.lastSample('corral')!.pids).toEqual([4242]);
    expect(rec.events.map((e) => e.payload)).toMatchObject([
      { component: 'corral', alert_level: 'critical', metrics: { active_connections: 3, event_queue_size: 4 } },
    ]);
  });

  it("reads corral's thresholds and samples at every pass, so a reload applies to the daemon too", () => {
    const rec = recorder();
    const self: Pick<ResourceTarget, 'limits' | 'samples'> = { limits, samples: 5 };
    const m = createResourceMonitor({
      bus: rec.bus,
      interval: 1000,
      samples: 5,
      getTargets: () => [],
      onRestart: () => Promise.resolve(),
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      selfTarget: () => self,
      sampler: fakeSampler(new Map([['corral', 150]])),
    });
    m.sampleNow();
    m.sampleNow();
    expect(rec.events).toEqual([]);
    // Three consecutive samples over warning now suffice: the third pass raises it.
    self.samples = 3;
    m.sampleNow();
    expect(rec.events.map((e) => [e.payload.component, e.payload.alert_level])).toEqual([['corral', 'warning']]);
    // And a threshold raised by a reload brings it back to normal after as many samples.
    self.limits = { memory: { warning: 1000 * MB } };
    for (let i = 0; i < 3; i++) m.sampleNow();
    expect(rec.events.map((e) => e.payload.alert_level)).toEqual(['warning', 'info']);
  });

  it('runs on an unref-ed timer, follows setInterval, stops, and can be disabled', () => {
    vi.useFakeTimers();
    try {
      const sampler = fakeSampler(new Map());
      const m = createResourceMonitor({
        bus: recorder().bus,
        interval: 1000,
        getTargets: () => [],
        onRestart: () => Promise.resolve(),
        self: () => ({ active_connections: 0, event_queue_size: 0 }),
        sampler,
      });
      m.start();
      expect(sampler.passes).toBe(1);
      vi.advanceTimersByTime(3000);
      expect(sampler.passes).toBe(4);
      m.setInterval(100);
      vi.advanceTimersByTime(1000);
      expect(sampler.passes).toBe(14);
      expect(() => m.setInterval(0)).toThrow(/resources.interval/);
      m.setEnabled(false);
      vi.advanceTimersByTime(1000);
      expect(sampler.passes).toBe(14);
      expect(sampler.closed).toBe(1);
      m.setEnabled(true);
      expect(sampler.passes).toBe(15);
      m.stop();
      vi.advanceTimersByTime(1000);
      expect(sampler.passes).toBe(15);

      const off = fakeSampler(new Map());
      createResourceMonitor({
        bus: recorder().bus,
        interval: 1000,
        enabled: false,
        getTargets: () => [],
        onRestart: () => Promise.resolve(),
        self: () => ({ active_connections: 0, event_queue_size: 0 }),
        sampler: off,
      }).start();
      vi.advanceTimersByTime(5000);
      expect(off.passes).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a pass that throws is reported and the monitor keeps going', () => {
    const onError = vi.fn();
    const m = createResourceMonitor({
      bus: recorder().bus,
      interval: 1000,
      getTargets: () => {
        throw new Error('supervisor gone');
      },
      onRestart: () => Promise.resolve(),
      onError,
      self: () => ({ active_connections: 0, event_queue_size: 0 }),
      sampler: fakeSampler(new Map()),
    });
    m.sampleNow();
    m.sampleNow();
    expect(onError).toHaveBeenCalledTimes(2);
  });
});

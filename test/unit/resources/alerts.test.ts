import { describe, expect, it, vi } from 'vitest';
import { createAlertEngine, type ResourceThresholds } from '../../../src/resources/alerts.js';
import { ResourcePayloadSchema } from '../../../src/schema/payloads.js';

const MB = 1024 * 1024;

function metrics(memory_mb: number, cpu_percent = 0) {
  return { memory_mb, cpu_percent, active_connections: 0, event_queue_size: 0 };
}

/** Feeds a series of samples 2 s apart and returns the alert levels raised. */
function feed(
  values: [number, number?][],
  thresholds: ResourceThresholds,
  samples = 3,
): { levels: string[]; alerts: ReturnType<ReturnType<typeof createAlertEngine>['judge']>[]; errors: unknown[]; criticals: string[] } {
  const errors: unknown[] = [];
  const criticals: string[] = [];
  const engine = createAlertEngine({
    samples,
    onAlert: (_a, e) => {
      if (e) errors.push(e);
    },
    onCritical: (c) => criticals.push(c),
  });
  const alerts = values.map(([mem, cpu], i) => engine.judge('api', metrics(mem, cpu ?? 0), thresholds, i * 2000)).filter((a) => a !== null);
  return { levels: alerts.map((a) => a!.alert_level), alerts, errors, criticals };
}

describe('alert engine', () => {
  const memory = { memory: { warning: 100 * MB, critical: 200 * MB } };

  it('a leak past warning then critical, then back: exactly warning, critical, info', () => {
    const series: [number][] = [
      [50], [50], [50],
      [150], [150], [150], [160],
      [250], [260], [270], [280],
      [40], [40], [40], [40], [40],
    ];
    const r = feed(series, memory);
    expect(r.levels).toEqual(['warning', 'critical', 'info']);
    expect(r.criticals).toEqual(['api']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ error_code: 'RES001', component: 'api', severity: 'critical' });
    expect(r.alerts[0]).toMatchObject({ previous_level: 'info', alert_level: 'warning' });
    expect(r.alerts[0]!.message).toContain('memory 150 MB is over the warning threshold 100 MB');
    expect(r.alerts[1]!.message).toContain('critical threshold 200 MB');
    // No parentheses: the message ends inside `restart loop: … (last: on_critical restart: MESSAGE)`.
    expect(r.alerts[1]!.message).toMatch(/critical threshold 200 MB, cpu [\d.]+%$/);
    expect(r.alerts[2]).toMatchObject({ previous_level: 'critical', alert_level: 'info' });
    expect(r.alerts[2]!.message).toContain('back to normal (was critical)');
    for (const a of r.alerts) expect(ResourcePayloadSchema.safeParse(a).success).toBe(true);
  });

  it('a sample over critical also counts towards warning (one of each, in order)', () => {
    const r = feed([[150], [250], [250], [250]], memory);
    expect(r.levels).toEqual(['warning', 'critical']);
  });

  it('sends nothing while everything stays normal, with or without thresholds', () => {
    const normal = Array.from({ length: 100 }, () => [50, 10] as [number, number]);
    expect(feed(normal, { ...memory, cpu: { warning: 80, critical: 95, for: 0 } }).levels).toEqual([]);
    expect(feed([[5000, 400], [5000, 400], [5000, 400]], {}).levels).toEqual([]);
  });

  it('flapping across a threshold raises nothing', () => {
    const flap = Array.from({ length: 20 }, (_, i) => [i % 2 ? 150 : 50] as [number]);
    expect(feed(flap, memory).levels).toEqual([]);
  });

  it('coming down also needs N consecutive samples', () => {
    const r = feed([[150], [150], [150], [50], [150], [50], [50], [50]], memory);
    expect(r.levels).toEqual(['warning', 'info']);
    expect(r.alerts[1]).toMatchObject({ previous_level: 'warning' });
  });

  it('critical can step down to warning before info', () => {
    const r = feed([[250], [250], [250], [150], [150], [150], [50], [50], [50]], memory);
    expect(r.levels).toEqual(['critical', 'warning', 'info']);
  });

  describe('cpu with for', () => {
    const cpu = { cpu: { warning: 50, critical: 90, for: 10_000 } };

    it('cpu over the threshold longer than for raises one alert', () => {
      // 2 s apart: over from t=0; at t=10 s it has been over for 10 s.
      const series = Array.from({ length: 12 }, () => [10, 75] as [number, number]);
      const r = feed(series, cpu);
      expect(r.levels).toEqual(['warning']);
      expect(r.alerts[0]!.message).toContain('cpu 75% has been over the warning threshold 50% for 10s');
      const engine = createAlertEngine({ samples: 3 });
      const at = series.map(([m, c], i) => engine.judge('api', metrics(m, c), cpu, i * 2000));
      expect(at.findIndex((a) => a !== null)).toBe(5);
    });

    it('a short spike raises nothing, even over critical', () => {
      const series: [number, number][] = [
        [10, 1], [10, 100], [10, 100], [10, 100], [10, 100], [10, 2], [10, 1], [10, 1], [10, 100], [10, 1],
      ];
      expect(feed(series, cpu).levels).toEqual([]);
    });

    it('for: 0 needs only the N samples', () => {
      expect(feed([[10, 99], [10, 99], [10, 99]], { cpu: { critical: 90, for: 0 } }).levels).toEqual(['critical']);
    });
  });

  it('a changed threshold judges the very next sample', () => {
    const engine = createAlertEngine({ samples: 1 });
    const onAlert = vi.fn();
    const e2 = createAlertEngine({ samples: 1, onAlert });
    expect(engine.judge('api', metrics(150), { memory: { warning: 200 * MB } }, 0)).toBeNull();
    expect(engine.judge('api', metrics(150), { memory: { warning: 100 * MB } }, 2000)).toMatchObject({ alert_level: 'warning' });
    expect(engine.levelOf('api')).toBe('warning');
    // Raising it back above the usage returns to info on the next sample.
    expect(engine.judge('api', metrics(150), { memory: { warning: 300 * MB } }, 4000)).toMatchObject({ alert_level: 'info' });
    e2.judge('x', metrics(1), {}, 0);
    expect(onAlert).not.toHaveBeenCalled();
  });

  it('keeps components apart and forgets removed ones', () => {
    const engine = createAlertEngine({ samples: 1 });
    engine.judge('a', metrics(150), memory, 0);
    expect(engine.levelOf('a')).toBe('warning');
    expect(engine.levelOf('b')).toBe('info');
    engine.forget('a');
    expect(engine.levelOf('a')).toBe('info');
  });

  it('a per-call samples overrides the default', () => {
    const engine = createAlertEngine({ samples: 5 });
    expect(engine.judge('a', metrics(150), memory, 0, 1)).toMatchObject({ alert_level: 'warning' });
  });
});

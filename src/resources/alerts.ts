import { makeError, type ErrorData } from '../schema/errors.js';
import type { AlertLevel, ResourcePayload } from '../schema/payloads.js';
import { describeChange, type MetricName, type ResourceThresholds } from './alert-message.js';

export type { ResourceThresholds };

/** The metrics a judged sample carries (the spec's ResourcePayload metrics). */
export type ResourceMetrics = ResourcePayload['metrics'];

/** A level change, as published in `resource.alert`: the spec's payload plus where it came from. */
export type ResourceAlert = ResourcePayload & {
  alert_level: AlertLevel;
  message: string;
  previous_level: AlertLevel;
};

export interface AlertEngineOptions {
  /** Consecutive samples at a new level before the level changes (default 3). */
  samples?: number;
  /** Called once per level change; `error` is the RES001 of a change to critical. */
  onAlert?: (alert: ResourceAlert, error: ErrorData | undefined) => void;
  /** Called when a component's level becomes critical. */
  onCritical?: (component: string, alert: ResourceAlert) => void;
}

export interface AlertEngine {
  /**
   * Judges one sample. Thresholds are passed per call, so a changed threshold
   * applies from the next sample on. `samples` overrides the engine's default
   * for this component. Returns the alert raised by this sample, if any.
   */
  judge(
    component: string,
    metrics: ResourceMetrics,
    thresholds: ResourceThresholds,
    now: number,
    samples?: number,
  ): ResourceAlert | null;
  /** The level last reported for a component ('info' when never alerted). */
  levelOf(component: string): AlertLevel;
  /** The level of the component's last sample on its own, whatever has been reported. */
  sampleLevelOf(component: string): AlertLevel;
  /** Forgets a component (removed from the config). */
  forget(component: string): void;
}

const RANK: Record<AlertLevel, number> = { info: 0, warning: 1, critical: 2 };
const LEVELS: readonly AlertLevel[] = ['info', 'warning', 'critical'];

/** Per-component memory of the recent samples. */
interface State {
  level: AlertLevel;
  /** Consecutive samples with some metric at or above level L (index 1 warning, 2 critical). */
  above: [number, number, number];
  /** Consecutive samples with every metric at or below level L (index 0 info, 1 warning). */
  below: [number, number, number];
  /** Since when cpu has been over the warning / critical threshold without a break (null: not over). */
  cpuSince: [number | null, number | null, number | null];
  /** The level of the last sample on its own (0 info, 1 warning, 2 critical). */
  raw: number;
}

function newState(): State {
  return { level: 'info', above: [0, 0, 0], below: [0, 0, 0], cpuSince: [null, null, null], raw: 0 };
}

function levelFor(value: number, t: { warning?: number; critical?: number } | undefined): number {
  if (!t) return 0;
  if (t.critical !== undefined && value > t.critical) return 2;
  if (t.warning !== undefined && value > t.warning) return 1;
  return 0;
}

/**
 * Creates the engine that turns samples into alerts. A level is raised once
 * per change (info → warning → critical and back): going up to L needs
 * `samples` consecutive samples at L or above (and, for cpu, over the
 * threshold for at least `cpu.for` ms); coming down to L needs as many
 * consecutive samples at L or below. Nothing is sent while a component stays
 * normal; the first info is the return from warning or critical.
 */
export function createAlertEngine(options: AlertEngineOptions = {}): AlertEngine {
  const defaultSamples = options.samples ?? 3;
  const states = new Map<string, State>();

  function judge(
    component: string,
    metrics: ResourceMetrics,
    thresholds: ResourceThresholds,
    now: number,
    samples = defaultSamples,
  ): ResourceAlert | null {
    let state = states.get(component);
    if (!state) {
      state = newState();
      states.set(component, state);
    }
    const memLevel = levelFor(metrics.memory_mb * 1024 * 1024, thresholds.memory);
    const cpuLevel = levelFor(metrics.cpu_percent, thresholds.cpu);
    const cpuFor = thresholds.cpu?.for ?? 0;
    const raw = Math.max(memLevel, cpuLevel);
    state.raw = raw;

    for (let l = 1; l <= 2; l++) state.cpuSince[l] = cpuLevel >= l ? (state.cpuSince[l] ?? now) : null;
    for (let l = 0; l <= 2; l++) {
      state.above[l] = raw >= l ? state.above[l]! + 1 : 0;
      state.below[l] = raw <= l ? state.below[l]! + 1 : 0;
    }

    // The highest level this sample confirms going up to, and the lowest it confirms coming down to.
    let up = 0;
    for (let l = 2; l >= 1 && up === 0; l--) {
      if (state.above[l]! < samples) continue;
      const byMemory = memLevel >= l;
      const byCpu = cpuLevel >= l && now - state.cpuSince[l]! >= cpuFor;
      if (byMemory || byCpu) up = l;
    }
    let down = 2;
    for (let l = 0; l <= 1 && down === 2; l++) if (state.below[l]! >= samples) down = l;

    const current = RANK[state.level];
    let next = current;
    if (up > current) next = up;
    else if (down < current) next = down;
    if (next === current) return null;

    const previous = state.level;
    state.level = LEVELS[next]!;
    const metric: MetricName | null = next === 0 ? null : memLevel >= next ? 'memory' : 'cpu';
    const alert: ResourceAlert = {
      component,
      metrics: { ...metrics },
      alert_level: state.level,
      previous_level: previous,
      message: describeChange(state.level, previous, metric, metrics, thresholds),
    };
    const error =
      state.level === 'critical'
        ? makeError('RES001', component, alert.message, {
            severity: 'critical',
            context: { metrics: alert.metrics, thresholds },
          })
        : undefined;
    options.onAlert?.(alert, error);
    if (state.level === 'critical') options.onCritical?.(component, alert);
    return alert;
  }

  return {
    judge,
    levelOf: (component) => states.get(component)?.level ?? 'info',
    sampleLevelOf: (component) => LEVELS[states.get(component)?.raw ?? 0]!,
    forget: (component) => void states.delete(component),
  };
}

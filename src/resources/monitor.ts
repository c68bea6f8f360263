import type { Bus } from '../bus/types.js';
import type { ErrorData } from '../schema/errors.js';
import { createAlertEngine, type ResourceAlert, type ResourceThresholds } from './alerts.js';
import { createTreeSampler, type TreeSample, type TreeSampler } from './sampler.js';
import { publishOwn } from '../bus/own-events.js';

/** One component the monitor measures. */
export interface ResourceTarget {
  name: string;
  /** Root pids: the component's process-group leaders. */
  pids: number[];
  /** The component's thresholds merged over the global ones (memory in bytes). */
  limits: ResourceThresholds;
  /** Consecutive samples for this component (defaults to the monitor's). */
  samples?: number;
  onCritical: 'restart' | 'alert';
}

/** What the daemon reports about itself beside its process tree. */
export interface SelfMetrics {
  active_connections: number;
  event_queue_size: number;
}

export interface ResourceMonitorOptions {
  /** Only publish and publishError are used. */
  bus: Pick<Bus, 'publish' | 'publishError'> & { sessionId?: string };
  /** Sampling period in ms. */
  interval: number;
  /** Default consecutive samples before a level changes. */
  samples?: number;
  /** When false, start() does nothing. */
  enabled?: boolean;
  /** The components to measure, read at every pass (so reloaded limits apply at once). */
  getTargets: () => ResourceTarget[];
  /** Graceful restart of a component (on_critical: restart). */
  onRestart: (name: string, cause: string) => Promise<unknown>;
  /** The daemon's bus clients and backlog, for its own `corral` sample. */
  self: () => SelfMetrics;
  /**
   * Thresholds and consecutive samples for the daemon itself, read at every
   * pass like `getTargets` (so a reload applies); no thresholds when absent
   * (it is still sampled), and the monitor's `samples`.
   */
  selfTarget?: () => Pick<ResourceTarget, 'limits' | 'samples'>;
  /** Receives every component's last sample (for `corral ps` and the API). */
  setSample?: (name: string, metrics: { cpu_percent: number; memory_mb: number }) => void;
  /** Reports a failed restart or an unexpected error in a pass (the monitor keeps running). */
  onError?: (err: unknown, component?: string) => void;
  /** The daemon's own root pid (default: this process). */
  selfPid?: number;
  sampler?: TreeSampler;
  /** Wall clock in ms, for the cpu `for` durations. */
  now?: () => number;
}

export interface ResourceMonitor {
  start(): void;
  stop(): void;
  /** Changes the period; the next pass is scheduled with it. */
  setInterval(ms: number): void;
  /** Turns sampling on or off (config `resources.enabled` on reload). */
  setEnabled(enabled: boolean): void;
  /** Runs one pass now (tests, and `corral ps` right after start). */
  sampleNow(): void;
  /** The last sample of a component (or `corral`). */
  lastSample(name: string): TreeSample | undefined;
  /**
   * Drops what is known about a component removed from the config. A
   * component that is only stopped or restarting keeps its alert level, so
   * its return to normal is still reported.
   */
  forget(name: string): void;
}

/** The name the daemon's own sample and alerts carry. */
export const SELF_COMPONENT = 'corral';

/**
 * Samples every component's process tree (and the daemon's own) in one pass
 * per interval, records the sample, judges it against the thresholds,
 * publishes `resource.alert` on a level change and RES001 on critical, and
 * restarts a component whose policy says so, once per critical episode.
 */
export function createResourceMonitor(options: ResourceMonitorOptions): ResourceMonitor {
  const sampler = options.sampler ?? createTreeSampler();
  const now = options.now ?? Date.now;
  const selfPid = options.selfPid ?? process.pid;
  let interval = options.interval;
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  const last = new Map<string, TreeSample>();
  // Components whose restart has been asked in the current critical episode.
  const restarted = new Set<string>();
  const policies = new Map<string, ResourceTarget['onCritical']>();

  const engine = createAlertEngine({
    samples: options.samples ?? 3,
    onAlert: publishAlert,
  });

  function publishAlert(alert: ResourceAlert, error: ErrorData | undefined): void {
    publishOwn(options.bus, 'resource.alert', alert);
    if (error) options.bus.publishError(error);
    if (alert.alert_level !== 'critical') restarted.delete(alert.component);
    else if (policies.get(alert.component) === 'restart') restartOnce(alert.component, alert.message ?? 'critical resource alert');
  }

  /** The on_critical restart, at most once per critical episode. */
  function restartOnce(component: string, why: string): void {
    if (restarted.has(component)) return;
    restarted.add(component);
    options.onRestart(component, `on_critical restart: ${why}`).catch((err: unknown) => options.onError?.(err, component));
  }

  function pass(): void {
    const targets = options.getTargets();
    const roots = new Map<string, number[]>();
    // Index loops: the daemon runs interpreted, where for...of allocates per element.
    for (let k = 0; k < targets.length; k++) {
      const t = targets[k]!;
      if (t.name !== SELF_COMPONENT) roots.set(t.name, t.pids);
    }
    roots.set(SELF_COMPONENT, [selfPid]);
    const samples = sampler.sample(roots);
    const time = now();

    for (let k = 0; k < targets.length; k++) {
      const t = targets[k]!;
      const s = samples.get(t.name);
      // A tree with no process left is between runs: nothing to judge.
      if (!s || s.pids.length === 0) continue;
      last.set(t.name, s);
      const before = policies.get(t.name);
      policies.set(t.name, t.onCritical);
      options.setSample?.(t.name, { cpu_percent: s.cpu_percent, memory_mb: s.memory_mb });
      const metrics = { cpu_percent: s.cpu_percent, memory_mb: s.memory_mb, active_connections: 0, event_queue_size: 0 };
      engine.judge(t.name, metrics, t.limits, time, t.samples);
      // A reload turned on_critical to restart while the component was already critical: the
      // level does not change, so no alert will come to act on; act on the episode now.
      // Only while this very sample is critical: a level still critical after a recovery (it comes down only after
      // `samples` samples) or a fresh generation after a stop must not be restarted.
      if (before === 'alert' && t.onCritical === 'restart' && engine.levelOf(t.name) === 'critical' && engine.sampleLevelOf(t.name) === 'critical') {
        restartOnce(t.name, 'critical when on_critical: restart was applied');
      }
    }
    const me = samples.get(SELF_COMPONENT);
    if (me) {
      last.set(SELF_COMPONENT, me);
      const { active_connections, event_queue_size } = options.self();
      const metrics = { cpu_percent: me.cpu_percent, memory_mb: me.memory_mb, active_connections, event_queue_size };
      const target = options.selfTarget?.();
      engine.judge(SELF_COMPONENT, metrics, target?.limits ?? {}, time, target?.samples);
    }
  }

  function safePass(): void {
    if (running) return;
    running = true;
    try {
      pass();
    } catch (err) {
      options.onError?.(err);
    } finally {
      running = false;
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      timer = null;
      safePass();
      if (started) schedule();
    }, interval);
    // Sampling must never keep the daemon alive on its own.
    timer.unref();
  }

  let started = false;
  let enabled = options.enabled !== false;
  function start(): void {
    if (started || !enabled) return;
    started = true;
    safePass();
    schedule();
  }
  function stop(): void {
    started = false;
    if (timer) clearTimeout(timer);
    timer = null;
    sampler.close();
  }
  return {
    start,
    stop,
    setEnabled(on) {
      if (on === enabled) return;
      enabled = on;
      if (on) start();
      else stop();
    },
    setInterval(ms: number) {
      if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`resources.interval must be a positive number of ms, got ${ms}`);
      if (ms === interval) return;
      interval = ms;
      if (started && timer) {
        clearTimeout(timer);
        schedule();
      }
    },
    sampleNow: safePass,
    lastSample: (name) => last.get(name),
    forget(name) {
      last.delete(name);
      engine.forget(name);
      policies.delete(name);
      restarted.delete(name);
    },
  };
}

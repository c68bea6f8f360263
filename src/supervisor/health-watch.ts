import type { ComponentConfig } from '../config/schema.js';
import type { ComponentLifecycle } from '../runners/types.js';
import type { Probe } from '../health/types.js';
import { createProbe, startProbeLoop } from '../health/index.js';
import { abortable, abortedBy } from '../util/abort.js';

/** What a health check reports on each status it arrives at. */
export type HealthStatus = 'healthy' | 'unhealthy';

/** A running health check for one generation; `stop` ends it for good. */
export interface HealthWatch {
  stop(): void;
}

export interface HealthWatchOptions {
  name: string;
  /** The configured probe, when there is one; it wins over the plugin's own check. */
  health: ComponentConfig['health'];
  lifecycle: ComponentLifecycle;
  /** Working directory and environment for exec probes. */
  cwd?: string;
  env?: Record<string, string>;
  /** The first status and every change. */
  onStatus(status: HealthStatus, detail: string, timedOut: boolean): void;
  /** Every single check, so a timeout is known at once rather than after `failures` of them. */
  onCheck?(ok: boolean, detail: string, timedOut: boolean): void;
}

/** Starts the check for one generation, or returns null when the component has none. */
export type StartHealthWatch = (opts: HealthWatchOptions) => HealthWatch | null;

/** Which check a component has: the probe kind, `plugin` for the lifecycle's own `health()`, or null. */
export function healthCheckKind(health: ComponentConfig['health'], lifecycle: ComponentLifecycle | null): string | null {
  if (health) {
    if (health.http !== undefined) return 'http';
    if (health.tcp !== undefined) return 'tcp';
    if (health.exec !== undefined) return 'exec';
  }
  return lifecycle?.health ? 'plugin' : null;
}

/** Defaults for polling a plugin's own `health()` when the config has no probe. */
const PLUGIN_CHECK = { interval: 5000, timeout: 2000, failures: 3, initial_delay: 0 };

/** Wraps a lifecycle's `health()` as a probe the loop can run. */
function pluginProbe(name: string, health: () => Promise<{ ok: boolean; detail?: string }>): Probe {
  return {
    kind: 'exec',
    target: `plugin health of ${name}`,
    async check(signal) {
      try {
        const result = await abortable(health(), signal);
        return { ok: result.ok, detail: result.detail ?? (result.ok ? 'ok' : 'failed'), timedOut: false };
      } catch (err) {
        if (abortedBy(err, signal)) return { ok: false, detail: `timed out after ${PLUGIN_CHECK.timeout}ms`, timedOut: true };
        return { ok: false, detail: (err as Error).message ?? String(err), timedOut: false };
      }
    },
  };
}

/** The real health check: the configured probe, else the plugin's `health()`, on the probe loop. */
export const startHealthWatch: StartHealthWatch = (opts) => {
  let probe: Probe;
  let timing: { interval: number; timeout: number; failures: number; initial_delay: number };
  if (opts.health) {
    probe = createProbe(opts.health, { cwd: opts.cwd, env: opts.env });
    timing = opts.health;
  } else if (opts.lifecycle.health) {
    probe = pluginProbe(opts.name, () => opts.lifecycle.health!());
    timing = PLUGIN_CHECK;
  } else {
    return null;
  }
  const loop = startProbeLoop({
    probe,
    interval: timing.interval,
    timeout: timing.timeout,
    failures: timing.failures,
    initial_delay: timing.initial_delay,
    onStatus: opts.onStatus,
    onResult: (r) => opts.onCheck?.(r.ok, r.detail, r.timedOut),
  });
  return { stop: () => void loop.stop() };
};

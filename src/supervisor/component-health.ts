import { resolve } from 'node:path';
import type { ComponentConfig } from '../config/schema.js';
import type { ComponentLifecycle } from '../runners/types.js';
import type { ComponentEvents } from './events.js';
import { healthCheckKind, type HealthStatus, type HealthWatch, type StartHealthWatch } from './health-watch.js';

export interface HealthTrackerOptions {
  name: string;
  events: ComponentEvents;
  startHealthWatch: StartHealthWatch;
  configDir?: string;
  /** Whether generation `gen` is still the live one and in a state health may change. */
  isLive(gen: number): boolean;
  /** A new status for the live generation (the component moves to that state). */
  onChange(status: HealthStatus, detail: string, previous: HealthStatus | 'unknown'): void;
}

/**
 * The health side of one component: runs the check for the live generation,
 * turns its reports into `component.health` events (on changes only) and
 * CMP001 errors (a timed-out check; not healthy within `start_timeout`).
 */
export class HealthTracker {
  /** `unknown` until the first report, null when the component has no check. */
  status: HealthStatus | 'unknown' | null = null;
  private watch: HealthWatch | null = null;
  private readiness: NodeJS.Timeout | null = null;
  private timedOut = false;

  constructor(private readonly opts: HealthTrackerOptions) {}

  /** Starts checking generation `gen`; arms the readiness deadline when there is a check. */
  begin(gen: number, config: ComponentConfig, lifecycle: ComponentLifecycle, armReadiness: boolean): void {
    this.end();
    this.timedOut = false;
    const probe = healthCheckKind(config.health, lifecycle);
    this.status = probe === null ? null : 'unknown';
    if (probe === null) return;
    this.watch = this.opts.startHealthWatch({
      name: this.opts.name,
      health: config.health,
      lifecycle,
      cwd: config.cwd !== undefined && this.opts.configDir ? resolve(this.opts.configDir, config.cwd) : (config.cwd ?? this.opts.configDir),
      env: config.env,
      onStatus: (status, detail) => this.report(gen, probe, status, detail),
      onCheck: (_ok, detail, timedOut) => this.check(gen, probe, timedOut, detail),
    });
    if (armReadiness) this.armReadiness(gen, config.start_timeout);
  }

  /** Stops the check and the readiness deadline. */
  end(): void {
    this.status = null;
    this.watch?.stop();
    this.watch = null;
    if (this.readiness) clearTimeout(this.readiness);
    this.readiness = null;
  }

  private check(gen: number, probe: string, timedOut: boolean, detail: string): void {
    if (!this.opts.isLive(gen)) return;
    // One CMP001 per run of timed-out checks, so a hung endpoint does not flood the bus.
    if (timedOut && !this.timedOut) {
      this.opts.events.error('CMP001', this.opts.name, `health probe (${probe}) timed out: ${detail}`, { generation: gen, probe });
    }
    this.timedOut = timedOut;
  }

  private report(gen: number, probe: string, status: HealthStatus, detail: string): void {
    if (!this.opts.isLive(gen)) return;
    const previous = this.status ?? 'unknown';
    if (previous === status) return;
    this.status = status;
    if (status === 'healthy' && this.readiness) {
      clearTimeout(this.readiness);
      this.readiness = null;
    }
    this.opts.onChange(status, detail, previous);
    this.opts.events.health({ component: this.opts.name, status, previous, probe, detail, generation: gen });
  }

  /** With a health check, "ready" means healthy: not within `start_timeout` is CMP001. */
  private armReadiness(gen: number, limit: number): void {
    this.readiness = setTimeout(() => {
      this.readiness = null;
      if (!this.opts.isLive(gen) || this.status === 'healthy') return;
      this.opts.events.error('CMP001', this.opts.name, `not healthy within start_timeout (${limit} ms)`, { generation: gen, start_timeout_ms: limit });
    }, limit);
  }
}

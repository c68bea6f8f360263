import type { ComponentConfig } from '../config/schema.js';
import type { ComponentLifecycle, ExitInfo, Instance, Logger } from '../plugins/types.js';
import type { ComponentInfo, ComponentState } from './types.js';
import type { ComponentEvents, StopReason } from './events.js';
import { healthCheckKind, type HealthStatus, type HealthWatch, type StartHealthWatch } from './health-watch.js';
import { computeBackoff, RestartWindow, shouldRestart } from './backoff.js';

export interface ComponentOptions {
  name: string;
  config: ComponentConfig;
  resolveLifecycle(name: string, config: ComponentConfig): Promise<ComponentLifecycle>;
  events: ComponentEvents;
  startHealthWatch: StartHealthWatch;
  logger?: Logger;
  /** Clock and randomness, replaceable in tests of the backoff math. */
  now?: () => number;
  random?: () => number;
}

/** Thrown by commands on a component that `enabled: false` keeps off. */
export class ComponentDisabledError extends Error {
  constructor(readonly component: string) {
    super(`component "${component}" is disabled (enabled: false in the config)`);
    this.name = 'ComponentDisabledError';
  }
}

const LIVE: readonly ComponentState[] = ['running', 'healthy', 'unhealthy'];

/** "exit code 1" / "signal SIGKILL": how a generation ended, for reasons and errors. */
export function describeExit(info: ExitInfo): string {
  if (info.error) return info.error.message;
  if (info.signal) return `signal ${info.signal}`;
  return `exit code ${info.code ?? 'unknown'}`;
}

/**
 * One component: a state machine whose commands (start, stop, restart,
 * reconfigure, the restart after a backoff, the handling of an exit) run one
 * at a time through a promise queue. Because a start only begins after the
 * previous generation's `stop`/`exited` has resolved (its whole group gone),
 * two generations are never alive at once, whatever the callers do.
 */
export class Component {
  readonly name: string;
  config: ComponentConfig;
  state: ComponentState;
  generation = 0;
  restarts = 0;
  reason: string | null = null;
  health: HealthStatus | 'unknown' | null = null;
  lastExit: ExitInfo | null = null;
  /** A generation ended on its own with code 0 since the last start command (`depends_on: completed`). */
  completedCleanly = false;
  /** A generation reached `running` since the last start command (`depends_on: started`). */
  reachedRunning = false;
  sample: { cpu_percent: number; memory_mb: number } | null = null;

  private readonly opts: ComponentOptions;
  private readonly now: () => number;
  private readonly listeners = new Set<(c: Component) => void>();
  private queue: Promise<void> = Promise.resolve();
  private pendingRestart: Promise<void> | null = null;
  private lifecycle: ComponentLifecycle | null = null;
  private instance: Instance | null = null;
  private startedAt: number | null = null;
  private nextRestartAt: number | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private readinessTimer: NodeJS.Timeout | null = null;
  private healthWatch: HealthWatch | null = null;
  private probeTimedOut = false;
  private attempt = 0;
  private readonly window = new RestartWindow();
  private disposed = false;

  constructor(opts: ComponentOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.config = opts.config;
    this.now = opts.now ?? Date.now;
    this.state = opts.config.enabled ? 'stopped' : 'disabled';
  }

  /** Called on every state, health or instance change. Returns the unsubscribe function. */
  onChange(listener: (c: Component) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The live generation's pid, or null. */
  get pid(): number | null {
    return this.instance?.pid ?? null;
  }

  /** When the live generation started (ms epoch), or null. */
  get startedAtMs(): number | null {
    return this.instance ? this.startedAt : null;
  }

  /** Root pids of the live generation, for the resource sampler. */
  pids(): number[] {
    return this.instance ? this.instance.pids() : [];
  }

  /** Whether this component has a health check (a probe, or the plugin's own `health()`). */
  hasHealthCheck(): boolean {
    return healthCheckKind(this.config.health, this.lifecycle) !== null;
  }

  /** Marks the component as waiting for its dependencies (no-op while it runs). */
  setPending(reason: string | null): void {
    if (this.instance || this.state === 'disabled' || this.state === 'backoff') return;
    if (this.state === 'pending' && this.reason === reason) return;
    this.setState('pending', reason);
  }

  /** Starts it unless it already runs (idempotent). Clears `failed`. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      if (this.state === 'disabled') throw new ComponentDisabledError(this.name);
      if (this.instance) return;
      this.clearBackoff();
      this.resetCrashHistory();
      this.completedCleanly = false;
      this.reachedRunning = false;
      await this.launch();
    });
  }

  /** Stops it (idempotent): the promise resolves when its whole process group is gone. */
  stop(): Promise<void> {
    return this.enqueue(() => this.halt('stopped'));
  }

  /**
   * Stops then starts it; clears `failed` and the crash history. Calls that
   * arrive while one restart is still queued join it rather than queue another.
   */
  restart(): Promise<void> {
    if (this.pendingRestart) return this.pendingRestart;
    const run = this.enqueue(async () => {
      this.pendingRestart = null;
      if (this.state === 'disabled') throw new ComponentDisabledError(this.name);
      const hadRun = this.generation > 0;
      await this.halt('stopped');
      this.resetCrashHistory();
      this.completedCleanly = false;
      this.reachedRunning = false;
      if (hadRun) this.restarts++;
      await this.launch();
    });
    this.pendingRestart = run;
    return run;
  }

  /**
   * Hot reload of a changed command/cwd/env/plugin: stop, drop the old
   * lifecycle, take the new config, start again (when enabled).
   */
  reconfigure(config: ComponentConfig, opts: { start: boolean }): Promise<void> {
    return this.enqueue(async () => {
      const wasLive = this.instance !== null || this.state === 'backoff';
      await this.halt(config.enabled ? 'stopped' : 'disabled');
      await this.disposeLifecycle();
      this.config = config;
      if (!config.enabled) return;
      if (this.state === 'disabled') this.setState('stopped', null);
      if (!opts.start && !wasLive) return;
      this.resetCrashHistory();
      if (wasLive) this.restarts++;
      await this.launch();
    });
  }

  /** Swaps the config in place: policies and thresholds apply from now on, a changed probe restarts the check. */
  updateConfig(config: ComponentConfig): void {
    const probeChanged = JSON.stringify(config.health) !== JSON.stringify(this.config.health);
    this.config = config;
    if (probeChanged && this.instance) {
      this.healthWatch?.stop();
      this.healthWatch = null;
      this.health = this.hasHealthCheck() ? 'unknown' : null;
      this.watchHealth(this.generation);
      this.emitChange();
    }
  }

  /** Keeps it off (`enabled: false` in a reload): stops it and marks it disabled. */
  disable(): Promise<void> {
    return this.enqueue(() => this.halt('disabled'));
  }

  /** Stops it and disposes its lifecycle; it takes no commands afterwards. */
  dispose(): Promise<void> {
    return this.enqueue(async () => {
      await this.halt('stopped');
      await this.disposeLifecycle();
      this.disposed = true;
    });
  }

  /** Waits for every queued command. */
  idle(): Promise<void> {
    return this.queue;
  }

  info(): ComponentInfo {
    const now = this.now();
    return {
      name: this.name,
      plugin: this.config.plugin,
      state: this.state,
      pid: this.pid,
      generation: this.generation,
      uptime_ms: this.instance && this.startedAt !== null ? now - this.startedAt : null,
      restarts: this.restarts,
      health: this.health,
      reason: this.reason,
      cpu_percent: this.sample?.cpu_percent ?? null,
      memory_mb: this.sample?.memory_mb ?? null,
      next_restart_in_ms: this.nextRestartAt !== null ? Math.max(0, this.nextRestartAt - now) : null,
      depends_on: { ...this.config.depends_on },
    };
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.disposed) throw new Error(`component "${this.name}" was removed`);
      return fn();
    });
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private setState(state: ComponentState, reason: string | null): void {
    this.state = state;
    this.reason = reason;
    this.emitChange();
  }

  private emitChange(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(this);
      } catch (err) {
        this.opts.logger?.error(`change listener of ${this.name} threw: ${(err as Error).message}`);
      }
    }
  }

  private resetCrashHistory(): void {
    this.window.clear();
    this.attempt = 0;
  }

  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    this.nextRestartAt = null;
  }

  /** Starts one generation. Runs inside the queue, with no generation alive. */
  private async launch(): Promise<void> {
    const gen = ++this.generation;
    this.clearBackoff();
    this.setState('starting', null);
    let instance: Instance;
    try {
      this.lifecycle ??= await this.opts.resolveLifecycle(this.name, this.config);
      instance = await this.startWithTimeout(this.lifecycle);
    } catch (err) {
      this.failStart(gen, (err as Error).message ?? String(err));
      return;
    }
    this.instance = instance;
    this.startedAt = this.now();
    this.lastExit = null;
    this.reachedRunning = true;
    this.probeTimedOut = false;
    this.health = this.hasHealthCheck() ? 'unknown' : null;
    this.setState('running', null);
    this.opts.events.started({
      component: this.name,
      pid: instance.pid,
      generation: gen,
      plugin: this.config.plugin,
      command: instance.command,
    });
    instance.exited.then(
      (info) => void this.enqueue(() => this.handleExit(instance, gen, info)),
      (err: unknown) => void this.enqueue(() => this.handleExit(instance, gen, { code: null, signal: null, error: err as Error })),
    );
    this.watchHealth(gen);
    if (this.health !== null) this.armReadiness(gen);
  }

  /** The lifecycle's start, bounded by `start_timeout` (CMP001); a late instance is stopped at once. */
  private async startWithTimeout(lifecycle: ComponentLifecycle): Promise<Instance> {
    const limit = this.config.start_timeout;
    const started = lifecycle.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), limit)));
    try {
      const result = await Promise.race([started, timeout]);
      if (result) return result;
    } finally {
      clearTimeout(timer);
    }
    started.then((late) => late.stop('SIGKILL', 0)).catch(() => {});
    const message = `start did not complete within ${limit} ms`;
    this.opts.events.error('CMP001', this.name, message, { generation: this.generation, start_timeout_ms: limit });
    throw new Error(message);
  }

  /** The start itself failed (spawn error, plugin error, start timeout): `failed`, CMP002 unless it was a timeout. */
  private failStart(gen: number, message: string): void {
    this.instance = null;
    this.startedAt = null;
    this.setState('failed', message);
    this.opts.events.stopped({
      component: this.name,
      pid: null,
      generation: gen,
      exit_code: null,
      signal: null,
      reason: 'failed',
      runtime_ms: 0,
      restarts: this.restarts,
      next_restart_in_ms: null,
      error: message,
    });
    if (!message.startsWith('start did not complete')) {
      this.opts.events.error('CMP002', this.name, `could not start: ${message}`, { generation: gen });
    }
  }

  /** A generation ended without being asked to: restart per policy, with backoff, or give up. */
  private async handleExit(instance: Instance, gen: number, info: ExitInfo): Promise<void> {
    if (this.instance !== instance) return; // a stop already accounted for it
    const runtime = this.now() - (this.startedAt ?? this.now());
    this.endRun();
    this.lastExit = info;
    if (info.error) return this.failStart(gen, info.error.message);
    const crashed = info.code !== 0;
    if (!crashed) this.completedCleanly = true;
    const base = {
      component: this.name,
      pid: instance.pid,
      generation: gen,
      exit_code: info.code,
      signal: info.signal,
      runtime_ms: runtime,
    };
    const restart = this.config.restart;
    const exitReason: StopReason = crashed ? 'crashed' : 'exited';
    if (!shouldRestart(restart.policy, crashed)) {
      this.setState('exited', crashed ? describeExit(info) : null);
      this.opts.events.stopped({ ...base, reason: exitReason, restarts: this.restarts, next_restart_in_ms: null });
      return;
    }
    const now = this.now();
    if (runtime >= restart.stable_after) this.attempt = 0;
    if (this.window.wouldExceed(now, restart.window, restart.max_restarts)) {
      const reason = `crash loop: more than ${restart.max_restarts} restarts within ${restart.window} ms (last: ${describeExit(info)})`;
      this.setState('failed', reason);
      this.opts.events.stopped({ ...base, reason: 'failed', restarts: this.restarts, next_restart_in_ms: null, error: reason });
      this.opts.events.error('CMP002', this.name, reason, { generation: gen, restarts: this.restarts });
      return;
    }
    const delay = computeBackoff(this.attempt, restart.backoff, this.opts.random);
    this.attempt++;
    this.window.record(now);
    this.nextRestartAt = now + delay;
    this.setState('backoff', crashed ? describeExit(info) : null);
    this.opts.events.stopped({ ...base, reason: exitReason, restarts: this.restarts, next_restart_in_ms: delay });
    // A real timer: the daemon sleeps until it fires, however many crashes came before.
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      void this.enqueue(async () => {
        if (this.state !== 'backoff') return;
        this.restarts++;
        await this.launch();
      }).catch(() => {});
    }, delay);
  }

  /** Stops the live generation if any and settles in `finalState`. Runs inside the queue. */
  private async halt(finalState: 'stopped' | 'disabled'): Promise<void> {
    this.clearBackoff();
    const instance = this.instance;
    if (!instance) {
      if (this.state !== finalState) this.setState(finalState, null);
      return;
    }
    const gen = this.generation;
    const runtime = this.now() - (this.startedAt ?? this.now());
    this.stopChecks();
    this.setState('stopping', null);
    let info: ExitInfo;
    try {
      info = await instance.stop(this.config.stop.signal, this.config.stop.timeout);
    } catch (err) {
      this.opts.logger?.error(`stopping ${this.name} failed: ${(err as Error).message}`);
      info = { code: null, signal: null };
    }
    this.endRun();
    this.lastExit = info;
    this.opts.events.stopped({
      component: this.name,
      pid: instance.pid,
      generation: gen,
      exit_code: info.code,
      signal: info.signal,
      reason: info.killed ? 'killed' : 'stopped',
      runtime_ms: runtime,
      restarts: this.restarts,
      next_restart_in_ms: null,
    });
    this.setState(finalState, null);
  }

  private endRun(): void {
    this.stopChecks();
    this.instance = null;
    this.startedAt = null;
    this.sample = null;
  }

  private stopChecks(): void {
    this.healthWatch?.stop();
    this.healthWatch = null;
    if (this.readinessTimer) clearTimeout(this.readinessTimer);
    this.readinessTimer = null;
  }

  private async disposeLifecycle(): Promise<void> {
    const lifecycle = this.lifecycle;
    this.lifecycle = null;
    try {
      await lifecycle?.dispose?.();
    } catch (err) {
      this.opts.logger?.warn(`dispose of ${this.name} failed: ${(err as Error).message}`);
    }
  }

  private watchHealth(gen: number): void {
    if (!this.lifecycle) return;
    const probe = healthCheckKind(this.config.health, this.lifecycle);
    if (probe === null) return;
    this.healthWatch = this.opts.startHealthWatch({
      name: this.name,
      health: this.config.health,
      lifecycle: this.lifecycle,
      cwd: this.config.cwd,
      env: this.config.env,
      onStatus: (status, detail) => this.onHealth(gen, probe, status, detail),
      onCheck: (_ok, detail, timedOut) => this.onHealthCheck(gen, probe, timedOut, detail),
    });
  }

  private onHealthCheck(gen: number, probe: string, timedOut: boolean, detail: string): void {
    if (gen !== this.generation || !this.instance) return;
    // One CMP001 per run of timed-out checks, so a hung endpoint does not flood the bus.
    if (timedOut && !this.probeTimedOut) {
      this.opts.events.error('CMP001', this.name, `health probe (${probe}) timed out: ${detail}`, { generation: gen, probe });
    }
    this.probeTimedOut = timedOut;
  }

  private onHealth(gen: number, probe: string, status: HealthStatus, detail: string): void {
    if (gen !== this.generation || !this.instance || !LIVE.includes(this.state)) return;
    const previous = this.health ?? 'unknown';
    if (previous === status) return;
    this.health = status;
    if (status === 'healthy' && this.readinessTimer) {
      clearTimeout(this.readinessTimer);
      this.readinessTimer = null;
    }
    this.setState(status, status === 'unhealthy' ? detail : null);
    this.opts.events.health({ component: this.name, status, previous, probe, detail, generation: gen });
  }

  /** With a health check, "ready" means healthy: not within `start_timeout` is CMP001. */
  private armReadiness(gen: number): void {
    const limit = this.config.start_timeout;
    this.readinessTimer = setTimeout(() => {
      this.readinessTimer = null;
      if (gen !== this.generation || !this.instance || this.health === 'healthy') return;
      this.opts.events.error('CMP001', this.name, `not healthy within start_timeout (${limit} ms)`, { generation: gen, start_timeout_ms: limit });
    }, limit);
  }
}

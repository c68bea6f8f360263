import type { ComponentConfig } from '../config/schema.js';
import type { ComponentLifecycle, ExitInfo, Instance, Logger } from '../runners/types.js';
import { describeExit, type ComponentEvents, type StopReason } from './events.js';
import { healthCheckKind, type HealthStatus, type StartHealthWatch } from './health-watch.js';
import { RestartTracker } from './backoff.js';
import { HealthTracker } from './component-health.js';
import { startWithTimeout, StartTimeoutError } from './start-timeout.js';
import { CommandQueue } from './command-queue.js';
import { MET, type DependencyVerdict } from './dependencies.js';
import { LIVE } from './states.js';
import { ComponentRecord } from './component-record.js';
import { CorralError } from '../errors.js';

export interface ComponentOptions {
  name: string;
  config: ComponentConfig;
  resolveLifecycle(name: string, config: ComponentConfig): Promise<ComponentLifecycle>;
  events: ComponentEvents;
  startHealthWatch: StartHealthWatch;
  logger?: Logger;
  /** Directory of the config file, for exec probes' relative `cwd`. */
  configDir?: string;
  /** Clock and randomness, replaceable in tests of the backoff math. */
  now?: () => number;
  random?: () => number;
  /**
   * Whether its dependencies let it start now (the supervisor's `depends_on`).
   * Asked before every launch, crash restarts included; when not met the
   * component waits in `pending` until `resume()` finds them met.
   */
  dependencies?: (c: Component) => DependencyVerdict;
}

/** Thrown by commands on a component that `enabled: false` keeps off. */
export class ComponentDisabledError extends CorralError {
  constructor(readonly component: string) {
    super('CMP004', [component]);
  }
}

/**
 * One component: a state machine whose commands (start, stop, restart,
 * reconfigure, the restart after a backoff, the handling of an exit) run one
 * at a time through a promise queue. Because a start only begins after the
 * previous generation's `stop`/`exited` has resolved (its whole group gone),
 * two generations are never alive at once, whatever the callers do.
 */
export class Component extends ComponentRecord {
  private readonly opts: ComponentOptions;
  private readonly queue: CommandQueue;
  private lifecycle: ComponentLifecycle | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private readonly restartPolicy: RestartTracker;
  private readonly healthTracker: HealthTracker;
  private disposed = false;
  /** A launch waiting for the dependencies (`pending`): a crash restart, or a start/restart command. */
  private due: 'start' | 'crash' | null = null;
  /** Start-like commands given and not finished yet. */
  private startsAhead = 0;
  private queuedRestart: Promise<void> | null = null;

  constructor(opts: ComponentOptions) {
    super(opts.name, opts.config, opts.now ?? Date.now, opts.logger);
    this.opts = opts;
    this.queue = new CommandQueue(() => {
      if (this.disposed) throw new Error(`component "${this.name}" was removed`);
    });
    this.restartPolicy = new RestartTracker(opts.random);
    this.healthTracker = new HealthTracker({
      name: opts.name,
      events: opts.events,
      startHealthWatch: opts.startHealthWatch,
      configDir: opts.configDir,
      isLive: (gen) => gen === this._generation && this.instance !== null && LIVE.has(this._state),
      onChange: (status, detail, previous) => {
        this.setState(status, status === 'unhealthy' ? detail : null);
        if (status === 'unhealthy' && previous === 'healthy') this.healthFailed(detail);
      },
    });
  }

  /** Health of the live generation: `unknown` before the first report, null without a check. */
  override get health(): HealthStatus | 'unknown' | null {
    return this.healthTracker.status;
  }

  /** Whether this component has a health check (a probe, or the plugin's own `health()`). */
  hasHealthCheck(): boolean {
    return healthCheckKind(this._config.health, this.lifecycle) !== null;
  }

  /** Whether a launch waits for its dependencies (the component is `pending`). */
  get waiting(): boolean {
    return this.due !== null;
  }

  /** Whether a start, restart or reconfigure was given and has not finished: a stopped component about to start. */
  get startPending(): boolean {
    return this.startsAhead > 0;
  }

  /** Updates why a waiting component waits (no-op unless it waits). */
  setPending(reason: string): void {
    if (this.due === null || this.instance) return;
    if (this._state === 'pending' && this._reason === reason) return;
    this.setState('pending', reason);
  }

  /**
   * Launches a waiting component if its dependencies are met now (queued;
   * no-op when it no longer waits: a stop cancels the wait).
   */
  resume(): Promise<void> {
    return this.queue.run(async () => {
      const due = this.due;
      if (due === null || this.instance || this._state === 'disabled') return;
      await this.launchWhenReady(due);
    });
  }

  /** Starts it unless it already runs (idempotent), once its dependencies are met. Clears `failed`. */
  start(): Promise<void> {
    return this.startLike(
      this.queue.run(async () => {
        if (this._state === 'disabled') throw new ComponentDisabledError(this.name);
        if (this.instance) return;
        this.clearBackoff();
        this.restartPolicy.reset();
        this._completedCleanly = false;
        await this.launchWhenReady('start');
      }),
    );
  }

  /** Stops it (idempotent): the promise resolves when its whole process group is gone. `cause` goes in component.stopped. */
  stop(cause = 'stop requested'): Promise<void> {
    return this.queue.run(() => this.halt('stopped', cause));
  }

  /**
   * Stops then starts it; clears `failed` and the crash history. Calls that
   * arrive while one restart is still queued join it rather than queue another.
   */
  restart(cause = 'restart requested'): Promise<void> {
    const p = this.queue.coalesce('restart', async () => {
      this.queuedRestart = null;
      if (this._state === 'disabled') throw new ComponentDisabledError(this.name);
      const hadRun = this._generation > 0;
      await this.halt('stopped', cause);
      this.restartPolicy.reset();
      this._completedCleanly = false;
      if (hadRun) this._restarts++;
      await this.launchWhenReady('start');
    });
    if (p === this.queuedRestart) return p; // joined the one already queued
    this.queuedRestart = p;
    return this.startLike(p);
  }

  /**
   * A restart corral decides on its own (`on_critical: restart`): a graceful
   * stop and a start like `restart`, but it keeps the crash history and counts
   * in it, so a component that keeps needing one ends `failed` (CMP002) after
   * `max_restarts` within `window` instead of being restarted for ever.
   */
  autoRestart(cause: string): Promise<void> {
    return this.queue.run(async () => {
      if (this._state === 'disabled' || !this.instance) return;
      const failure = this.restartPolicy.automatic(this._config.restart, this.now(), cause);
      await this.halt('stopped', cause);
      if (failure) {
        this.setState('failed', failure);
        this.opts.events.error('CMP002', this.name, failure, { generation: this._generation, restarts: this._restarts });
        return;
      }
      this._completedCleanly = false;
      this._restarts++;
      await this.launchWhenReady('start');
    });
  }

  /**
   * Hot reload of a changed command/cwd/env/plugin: stop, drop the old
   * lifecycle, take the new config, start again (when enabled).
   */
  reconfigure(config: ComponentConfig, opts: { start: boolean }): Promise<void> {
    const p = this.queue.run(async () => {
      const wasLive = this.instance !== null || this._state === 'backoff' || this.due === 'crash';
      await this.halt(config.enabled ? 'stopped' : 'disabled', config.enabled ? 'config changed' : 'disabled in the config');
      await this.disposeLifecycle();
      this._config = config;
      if (!config.enabled) return;
      if (this._state === 'disabled') this.setState('stopped', null);
      if (!opts.start && !wasLive) return;
      this.restartPolicy.reset();
      if (wasLive) this._restarts++;
      await this.launchWhenReady('start');
    });
    // Counted as a start when it will start again: its dependants wait through the stop.
    const willStart = config.enabled && (opts.start || this.instance !== null || this._state === 'backoff' || this.due === 'crash');
    return willStart ? this.startLike(p) : p;
  }

  /** Swaps the config in place: policies and thresholds apply from now on, a changed probe restarts the check. */
  updateConfig(config: ComponentConfig): void {
    const probeChanged = JSON.stringify({ ...config.health, on_failure: 0 }) !== JSON.stringify({ ...this._config.health, on_failure: 0 }); // on_failure is read when it applies
    this._config = config;
    if (probeChanged && this.instance && this.lifecycle) {
      this.healthTracker.begin(this._generation, config, this.lifecycle, false);
      if (LIVE.has(this._state)) this.setState('running', null);
    }
  }

  /** Keeps it off (`enabled: false` in a reload): stops it and marks it disabled. */
  disable(): Promise<void> {
    return this.queue.run(() => this.halt('disabled', 'disabled in the config'));
  }

  /** Stops it and disposes its lifecycle; it takes no commands afterwards. */
  dispose(cause = 'removed from the config'): Promise<void> {
    return this.queue.run(async () => {
      await this.halt('stopped', cause);
      await this.disposeLifecycle();
      this.disposed = true;
    });
  }

  /** Waits for every queued command. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Cancels a restart that is due (its backoff timer, or its wait for the dependencies). */
  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    this.nextRestartAt = null;
    this.due = null;
  }

  /**
   * Counts a queued start-like command until it has run. Its last state change
   * was seen with the start still pending, so dependants are told once more.
   */
  private startLike(p: Promise<void>): Promise<void> {
    this.startsAhead++;
    const done = () => {
      if (--this.startsAhead === 0) this.emitChange();
    };
    return p.then(
      () => done(),
      (err: unknown) => {
        done();
        throw err;
      },
    );
  }

  /**
   * Launches now if the dependencies allow it, else waits in `pending` (the
   * supervisor calls `resume()` when they change). Runs inside the queue.
   */
  private async launchWhenReady(kind: 'start' | 'crash'): Promise<void> {
    const verdict = this.opts.dependencies?.(this) ?? MET;
    if (verdict.kind !== 'met') {
      this.clearBackoff();
      this.due = kind;
      if (this._state !== 'pending' || this._reason !== verdict.reason) this.setState('pending', verdict.reason);
      return;
    }
    this.due = null;
    if (kind === 'crash') this._restarts++;
    await this.launch();
  }

  /** Starts one generation. Runs inside the queue, with no generation alive. */
  private async launch(): Promise<void> {
    const gen = ++this._generation;
    this.clearBackoff();
    this.setState('starting', null);
    let instance: Instance;
    try {
      this.lifecycle ??= await this.opts.resolveLifecycle(this.name, this._config);
      instance = await startWithTimeout(this.lifecycle, this._config.start_timeout);
    } catch (err) {
      if (err instanceof StartTimeoutError) {
        this.opts.events.error('CMP001', this.name, err.message, { generation: gen, start_timeout_ms: err.limitMs });
      }
      this.failStart(gen, (err as Error).message ?? String(err), !(err instanceof StartTimeoutError));
      return;
    }
    this.instance = instance;
    this.startedAt = this.now();
    this.setState('running', null);
    this.opts.events.started({
      component: this.name,
      pid: instance.pid,
      generation: gen,
      plugin: this._config.plugin,
      command: instance.command,
    });
    instance.exited.then(
      (info) => void this.queue.run(() => this.handleExit(instance, gen, info)),
      (err: unknown) => void this.queue.run(() => this.handleExit(instance, gen, { code: null, signal: null, error: err as Error })),
    );
    this.healthTracker.begin(gen, this._config, this.lifecycle, true);
  }

  /** The start itself failed (spawn error, plugin error, start timeout): `failed`, CMP002 unless it was a timeout. */
  private failStart(gen: number, message: string, crashError = true): void {
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
      restarts: this._restarts,
      next_restart_in_ms: null,
      error: message,
    });
    if (crashError) {
      this.opts.events.error('CMP002', this.name, `could not start: ${message}`, { generation: gen });
    }
  }

  /** A generation ended without being asked to: restart per policy, with backoff, or give up. */
  private async handleExit(instance: Instance, gen: number, info: ExitInfo): Promise<void> {
    if (this.instance !== instance) return; // a stop already accounted for it
    const runtime = this.now() - (this.startedAt ?? this.now());
    this.endRun();
    this.noteOwnExit(describeExit(info));
    if (info.error) return this.failStart(gen, info.error.message);
    const crashed = info.code !== 0;
    if (!crashed) this._completedCleanly = true;
    const base = {
      component: this.name,
      pid: instance.pid,
      generation: gen,
      exit_code: info.code,
      signal: info.signal,
      runtime_ms: runtime,
    };
    const exitReason: StopReason = crashed ? 'crashed' : 'exited';
    const now = this.now();
    const decision = this.restartPolicy.decide(this._config.restart, crashed, runtime, now, describeExit(info));
    if (decision.kind === 'exit') {
      this.setState('exited', crashed ? describeExit(info) : null);
      this.opts.events.stopped({ ...base, reason: exitReason, restarts: this._restarts, next_restart_in_ms: null });
      return;
    }
    if (decision.kind === 'fail') {
      this.setState('failed', decision.reason);
      this.opts.events.stopped({ ...base, reason: 'failed', restarts: this._restarts, next_restart_in_ms: null, error: decision.reason });
      this.opts.events.error('CMP002', this.name, decision.reason, { generation: gen, restarts: this._restarts });
      return;
    }
    const delay = decision.delay;
    this.nextRestartAt = now + delay;
    this.setState('backoff', crashed ? describeExit(info) : null);
    this.opts.events.stopped({ ...base, reason: exitReason, restarts: this._restarts, next_restart_in_ms: delay });
    this.scheduleRestart(delay);
  }

  /**
   * Liveness (`health.on_failure: restart`): the probe failed `failures` times after the generation was
   * healthy. Stopped like a stop (signal, `stop.timeout`), restarted like a crash (backoff, crash-loop count).
   */
  private healthFailed(detail: string): void {
    if (this._config.health?.on_failure !== 'restart' || this._config.restart.policy === 'never') return;
    const gen = this._generation;
    const run = async () => {
      if (gen !== this._generation || !this.instance || this._state !== 'unhealthy') return;
      const cause = `health check failed (${detail})`;
      const now = this.now();
      const decision = this.restartPolicy.decide(this._config.restart, true, now - (this.startedAt ?? now), now, cause);
      await this.halt(decision.kind === 'restart' ? 'backoff' : 'stopped', cause, decision.kind === 'restart' ? decision.delay : null);
      if (decision.kind === 'restart') return this.scheduleRestart(decision.delay);
      if (decision.kind !== 'fail') return;
      this.setState('failed', decision.reason);
      this.opts.events.error('CMP002', this.name, decision.reason, { generation: gen, restarts: this._restarts });
    };
    void this.queue.run(run).catch(() => {});
  }

  /** Arms the restart after a backoff of `delay` ms (state `backoff`); a real timer the daemon sleeps through. */
  private scheduleRestart(delay: number): void {
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      void this.queue.run(async () => (this._state === 'backoff' ? this.launchWhenReady('crash') : undefined)).catch(() => {});
    }, delay);
  }

  /** Stops the live generation if any and settles in `finalState` (`backoff`: a restart in `nextRestartMs`). Runs inside the queue. */
  private async halt(finalState: 'stopped' | 'disabled' | 'backoff', cause?: string, nextRestartMs: number | null = null): Promise<void> {
    this.clearBackoff();
    const instance = this.instance;
    if (!instance) {
      // A disabled entry stays `disabled`, an inactive one `inactive`, through a stop (`corral down` stops every entry).
      if (this._state !== finalState && !((this._state === 'disabled' || this._state === 'inactive') && finalState === 'stopped')) this.setState(finalState, null);
      return;
    }
    const gen = this._generation;
    const runtime = this.now() - (this.startedAt ?? this.now());
    this.healthTracker.end();
    this.setState('stopping', null);
    const info: ExitInfo = await instance.stop(this._config.stop.signal, this._config.stop.timeout).catch((err: unknown) => {
      this.opts.logger?.error(`stopping ${this.name} failed: ${(err as Error).message}`);
      return { code: null, signal: null };
    });
    this.endRun();
    this.opts.events.stopped({
      component: this.name,
      pid: instance.pid,
      generation: gen,
      exit_code: info.code,
      signal: info.signal,
      reason: info.killed ? 'killed' : 'stopped',
      ...(cause ? { cause } : {}),
      runtime_ms: runtime,
      restarts: this._restarts,
      next_restart_in_ms: nextRestartMs,
    });
    if (nextRestartMs !== null) this.nextRestartAt = this.now() + nextRestartMs;
    this.setState(finalState, finalState === 'backoff' ? (cause ?? null) : null);
  }

  private endRun(): void {
    this.healthTracker.end();
    this.instance = null;
    this.startedAt = null;
    this._sample = null;
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
}

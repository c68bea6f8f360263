import type { ComponentConfig } from '../config/schema.js';
import type { Instance, Logger } from '../runners/types.js';
import type { ComponentInfo, ComponentState } from './types.js';
import type { HealthStatus } from './health-watch.js';
import { canMove, IllegalTransitionError, STRICT_TRANSITIONS } from './states.js';

/** The last resource sample of a live generation. */
export interface ResourceSample {
  cpu_percent: number;
  memory_mb: number;
}

/**
 * What the rest of corral may read of one component: its state, why, its
 * counters and its live generation, all read-only from outside, and the
 * listeners told of every change. The state machine that changes them
 * (src/supervisor/component.ts) extends it; every state change goes through
 * `setState`, which holds it to the transition table in src/supervisor/states.ts.
 */
export abstract class ComponentRecord {
  readonly name: string;
  protected _config: ComponentConfig;
  protected _state: ComponentState;
  protected _reason: string | null = null;
  protected _generation = 0;
  protected _restarts = 0;
  protected _completedCleanly = false;
  protected _lastOwnExit: string | null = null;
  protected _ownExits = 0;
  protected _sample: ResourceSample | null = null;
  /** The live generation, and when it started (ms epoch). */
  protected instance: Instance | null = null;
  protected startedAt: number | null = null;
  /** When the restart after a backoff is due (ms epoch), or null. */
  protected nextRestartAt: number | null = null;
  protected readonly now: () => number;
  protected readonly logger: Logger | undefined;
  private readonly listeners = new Set<(c: this) => void>();

  constructor(name: string, config: ComponentConfig, now: () => number, logger: Logger | undefined) {
    this.name = name;
    this._config = config;
    this._state = config.enabled ? 'stopped' : 'disabled';
    this.now = now;
    this.logger = logger;
  }

  /** Health of the live generation: `unknown` before the first report, null without a check. */
  abstract get health(): HealthStatus | 'unknown' | null;

  /** The config it runs with (a reload swaps it). */
  get config(): ComponentConfig {
    return this._config;
  }

  get state(): ComponentState {
    return this._state;
  }

  /** Why it is in its state (failed, exited, unhealthy, pending), or null. */
  get reason(): string | null {
    return this._reason;
  }

  /** Generations started so far: the live one's number. */
  get generation(): number {
    return this._generation;
  }

  get restarts(): number {
    return this._restarts;
  }

  /** A generation ended on its own with code 0 since the last start command (`depends_on: completed`). */
  get completedCleanly(): boolean {
    return this._completedCleanly;
  }

  /** How the last generation that ended by itself ended (`exit code 3`), or null; a stop by corral does not count. */
  get lastOwnExit(): string | null {
    return this._lastOwnExit;
  }

  /** A generation ended by itself, as `how` (`exit code 3`): counted in `exits`, shown as `last_exit`. */
  protected noteOwnExit(how: string): void {
    this._lastOwnExit = how;
    this._ownExits++;
  }

  /** The live generation's last resource sample, or null. */
  get sample(): ResourceSample | null {
    return this._sample;
  }

  /** Records a resource sample of the live generation (ignored when none runs). */
  setSample(sample: ResourceSample): void {
    if (this.instance) this._sample = sample;
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

  /** Called on every state, health or instance change. Returns the unsubscribe function. */
  onChange(listener: (c: this) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  info(): ComponentInfo {
    const now = this.now();
    return {
      name: this.name,
      plugin: this._config.plugin,
      state: this._state,
      pid: this.pid,
      generation: this._generation,
      uptime_ms: this.instance && this.startedAt !== null ? now - this.startedAt : null,
      ready_after_ms: this._config.ready_after,
      restarts: this._restarts,
      health: this.health,
      reason: this._reason,
      cpu_percent: this._sample?.cpu_percent ?? null,
      memory_mb: this._sample?.memory_mb ?? null,
      next_restart_in_ms: this.nextRestartAt !== null ? Math.max(0, this.nextRestartAt - now) : null,
      last_exit: this._lastOwnExit,
      exits: this._ownExits,
      depends_on: { ...this._config.depends_on },
      ...(this.instance?.attach ? { attach: this.instance.attach } : {}),
    };
  }

  /**
   * Marks a component that was never asked to run `inactive` (left out by
   * `corral up NAME...` or `--profile`); a no-op unless it is `stopped` with no
   * generation alive and no start pending.
   */
  markInactive(): void {
    if (this._state === 'stopped' && !this.instance && this._generation === 0) this.setState('inactive', null);
  }

  /** Moves to `state`; a move the table does not allow is a bug, thrown under test and logged loudly otherwise (see STRICT_TRANSITIONS). */
  protected setState(state: ComponentState, reason: string | null): void {
    if (!canMove(this._state, state)) {
      const err = new IllegalTransitionError(this.name, this._state, state);
      this.logger?.error(err.message, { from: this._state, to: state, stack: err.stack });
      if (STRICT_TRANSITIONS) throw err;
    }
    this._state = state;
    this._reason = reason;
    this.emitChange();
  }

  protected emitChange(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(this);
      } catch (err) {
        this.logger?.error(`change listener of ${this.name} threw: ${(err as Error).message}`);
      }
    }
  }
}

import { CorralError } from '../errors.js';
import type { ComponentState } from './types.js';

/** States in which a generation is alive and has not been asked to stop. */
export const LIVE: ReadonlySet<ComponentState> = new Set<ComponentState>(['running', 'healthy', 'unhealthy']);

/** After a generation ended, been stopped, or never started: a start command may launch it (or make it wait). */
const AT_REST = ['pending', 'starting', 'stopped', 'disabled'] as const;

/**
 * Every state a component may move to from each state (src/supervisor/component.ts
 * makes the moves). A live generation only ends through `stopping` (a stop by
 * corral) or by ending on its own (`exited`, `backoff`, `failed`); a state
 * without a generation only leaves through a start, a stop, or a disable.
 * Moving to the same state again is allowed where a reason may change
 * (`pending` naming another dependency, `running` after a new probe).
 */
export const NEXT: Readonly<Record<ComponentState, readonly ComponentState[]>> = {
  pending: AT_REST,
  starting: ['running', 'failed'],
  running: ['running', 'healthy', 'unhealthy', 'stopping', 'exited', 'backoff', 'failed'],
  healthy: ['running', 'unhealthy', 'stopping', 'exited', 'backoff', 'failed'],
  unhealthy: ['running', 'healthy', 'stopping', 'exited', 'backoff', 'failed'],
  // `backoff` from `stopping`: a restart by a failed health check (`health.on_failure: restart`), waiting its backoff.
  stopping: ['stopped', 'disabled', 'backoff'],
  // `failed` from `stopped`: an automatic restart (on_critical) that the crash-loop rule refuses after its stop.
  // `inactive` from `stopped`: left out by `corral up NAME...` or `--profile` (never started, or enabled by a reload).
  stopped: ['pending', 'starting', 'disabled', 'failed', 'inactive'],
  exited: AT_REST,
  backoff: AT_REST,
  failed: AT_REST,
  disabled: ['stopped'],
  inactive: AT_REST,
};

/** A move `NEXT` does not allow: a bug in corral's state machine. */
export class IllegalTransitionError extends CorralError {
  constructor(
    readonly component: string,
    readonly from: ComponentState,
    readonly to: ComponentState,
  ) {
    super('SUP001', [`component "${component}": illegal state transition ${from} → ${to} (a bug in corral; allowed from ${from}: ${NEXT[from].join(', ')})`]);
  }
}

/** Whether `NEXT` allows the move. */
export function canMove(from: ComponentState, to: ComponentState): boolean {
  return NEXT[from].includes(to);
}

/**
 * Whether an illegal move throws (under vitest, so the test that caused it
 * fails) or is logged loudly and made anyway (a running daemon: throwing
 * inside a command would leave the component's state behind its process,
 * and from a timer could take the daemon, and every component, down).
 */
export const STRICT_TRANSITIONS = process.env.VITEST !== undefined || process.env.CORRAL_STRICT_STATES === '1';

import type { ExitInfo } from './types.js';

/**
 * The stop every runner's Instance has: the first call runs the group's stop
 * (signal, wait, SIGKILL), every later call gets the same promise. The
 * instance's `exited` reads `stopping` (a stop owns the group's end), `done`
 * (the stop may still be ending processes that left the group after the
 * group is gone) and `killed`.
 */
export interface StopOnce {
  /** True once a stop was asked for. */
  readonly stopping: boolean;
  /** True when the stop had to SIGKILL. */
  readonly killed: boolean;
  /** The signal the stop sent first, or null. */
  readonly signal: NodeJS.Signals | null;
  /** Settles when the stop's own work is done, or null before any stop. */
  readonly done: Promise<void> | null;
  /** Stops (once) and resolves with `exited`. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo>;
}

/** `run` stops the group and resolves true when it had to SIGKILL; `exited` is read when a stop is first asked for. */
export function stopOnce(run: (signal: NodeJS.Signals, timeoutMs: number) => Promise<boolean>, exited: () => Promise<ExitInfo>): StopOnce {
  let stopping = false;
  let killed = false;
  let firstSignal: NodeJS.Signals | null = null;
  let done: Promise<void> | null = null;
  let result: Promise<ExitInfo> | null = null;
  return {
    get stopping() {
      return stopping;
    },
    get killed() {
      return killed;
    },
    get signal() {
      return firstSignal;
    },
    get done() {
      return done;
    },
    stop(signal, timeoutMs) {
      if (result) return result;
      stopping = true;
      firstSignal = signal;
      done = run(signal, timeoutMs).then((k) => {
        if (k) killed = true;
      });
      result = done.then(exited);
      return result;
    },
  };
}

/** Reconnect delays: start at `initial` ms, double up to `max` ms. */
export interface BackoffOptions {
  initial: number;
  max: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initial: 500, max: 30_000 };

/**
 * The delay before reconnect attempt `attempt` (0-based): exponential, capped,
 * with "equal jitter" (half fixed, half random) so that many clients dropped
 * by one daemon restart do not all come back in the same millisecond.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.max, opts.initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Reconnect timing: jittered exponential delays, counted from the last attempt that worked. */
export interface Reconnector {
  /** Schedules `reopen` after the next delay, unless reconnecting is off or `stopped()` says the user closed. */
  schedule(): void;
  /** The connection works: the next delay is the first again. */
  reset(): void;
  /** Drops a scheduled attempt. */
  cancel(): void;
}

export function createReconnector(backoff: BackoffOptions | null, stopped: () => boolean, reopen: () => Promise<void>): Reconnector {
  let attempt = 0;
  let timer: NodeJS.Timeout | null = null;
  return {
    schedule() {
      if (!backoff || stopped()) return;
      const delay = backoffDelay(attempt++, backoff);
      timer = setTimeout(() => {
        timer = null;
        void reopen().catch(() => {});
      }, delay);
    },
    reset() {
      attempt = 0;
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

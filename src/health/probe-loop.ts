import type { Probe, ProbeResult } from './types.js';

export type HealthStatus = 'healthy' | 'unhealthy';

export interface ProbeLoopOptions {
  probe: Probe;
  /** Milliseconds from the start of one check to the start of the next (never overlapping). */
  interval: number;
  /** Milliseconds one check may take before it counts as a timed-out failure. */
  timeout: number;
  /** Consecutive failures that make the component unhealthy. */
  failures: number;
  /** Milliseconds before the first check. */
  initial_delay: number;
  /**
   * Called on the first status and on every change: `healthy` after one
   * success, `unhealthy` after `failures` failures in a row. `timedOut` is
   * true when the failure that tipped it was a timeout (CMP001).
   */
  onStatus(status: HealthStatus, detail: string, timedOut: boolean): void;
  /** Called after every check, whatever the status. */
  onResult?(result: ProbeResult): void;
}

export interface ProbeLoop {
  /** Stops the loop; resolves once a check in flight has ended (its processes gone). */
  stop(): Promise<void>;
  /** The status reported last, or null before the first report. */
  readonly status: HealthStatus | null;
}

/** The first quick re-check while starting; each next one waits twice as long, up to `interval`. */
export const STARTING_FIRST_DELAY_MS = 100;

/**
 * Runs a probe again and again, one check at a time. A check that hangs is
 * cut off by the timeout signal, so the loop always moves on.
 *
 * Until the first status is reported (starting), a failed check is retried
 * sooner, 100 ms then doubling up to `interval` (Docker's `start_interval`,
 * a Kubernetes startup probe): a server that listens 300 ms after its start
 * is healthy then, not one whole interval later, and so are its dependants.
 * Only the checks that fall on the regular schedule (one per `interval`)
 * count toward `failures`, so a component turns unhealthy no sooner than it
 * did with every check on the regular schedule.
 */
export function startProbeLoop(opts: ProbeLoopOptions): ProbeLoop {
  const stopper = new AbortController();
  let status: HealthStatus | null = null;
  let failuresInRow = 0;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let quickDelay = STARTING_FIRST_DELAY_MS;
  // While starting: when the next check on the regular schedule is due, and whether the check
  // scheduled next is that one (a flag, not a time comparison: timers may fire a little early).
  let nextCounted = performance.now() + opts.initial_delay;
  let slotNext = true;

  const schedule = (delay: number, slot: boolean) => {
    if (stopper.signal.aborted) return;
    slotNext = slot;
    timer = setTimeout(() => {
      timer = null;
      inFlight = runOnce().finally(() => (inFlight = null));
    }, Math.max(0, delay));
    // The loop alone should not keep a process alive.
    timer.unref();
  };

  const runOnce = async () => {
    const startedAt = performance.now();
    const slot = slotNext;
    const deadline = AbortSignal.timeout(opts.timeout);
    const signal = AbortSignal.any([stopper.signal, deadline]);
    let result: ProbeResult;
    try {
      result = await opts.probe.check(signal);
    } catch (err) {
      // Probes should not reject; a buggy one must not end the loop.
      result = { ok: false, detail: err instanceof Error ? err.message : String(err), timedOut: false };
    }
    if (stopper.signal.aborted) return;
    if (deadline.aborted && !result.ok) result = { ok: false, detail: `timed out after ${opts.timeout}ms`, timedOut: true };
    opts.onResult?.(result);
    const starting = status === null;
    if (result.ok) {
      failuresInRow = 0;
      if (status !== 'healthy') report('healthy', result);
    } else if (!starting || slot) {
      failuresInRow++;
      if (failuresInRow >= opts.failures && status !== 'unhealthy') report('unhealthy', result);
    }
    // else: a quick re-check while starting; it does not count (see above).
    const now = performance.now();
    if (starting && status === null && opts.interval >= 1) {
      if (slot) while (nextCounted <= now) nextCounted += opts.interval;
      // A quick re-check only while checks are quick themselves (a check that times out would
      // otherwise run back to back with the next), and never past the regular check.
      if (quickDelay < opts.interval && now - startedAt < quickDelay) {
        const at = startedAt + quickDelay;
        quickDelay *= 2;
        if (at < nextCounted) return schedule(at - now, false);
      }
      return schedule(nextCounted - now, true);
    }
    schedule(opts.interval - (now - startedAt), true);
  };

  const report = (next: HealthStatus, result: ProbeResult) => {
    status = next;
    try {
      opts.onStatus(next, result.detail, result.timedOut);
    } catch {
      // A throwing listener must not stop the probing.
    }
  };

  schedule(opts.initial_delay, true);

  return {
    get status() {
      return status;
    },
    async stop() {
      stopper.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      await inFlight;
    },
  };
}

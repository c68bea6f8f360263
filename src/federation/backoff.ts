/** Delay before connection attempt `attempt` (0-based): 0.5 s doubling to 30 s, each with ±50 % jitter, so hosts that lost one server do not return in step. */
export function jitteredDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.5 + random()));
}

/** A sleep that `cancel()` ends at once (shutdown must not wait for a backoff). */
export function cancellableSleep(ms: number): { done: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
    timer = setTimeout(r, ms);
  });
  return {
    done,
    cancel: () => {
      clearTimeout(timer);
      resolve();
    },
  };
}

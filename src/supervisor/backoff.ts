import type { ComponentConfig } from '../config/schema.js';

/** The restart section of a component's config, after defaults. */
export type RestartConfig = ComponentConfig['restart'];
export type BackoffConfig = RestartConfig['backoff'];

/**
 * Delay before restart number `attempt` (0-based since the last reset):
 * `initial * factor^attempt`, capped at `max`, minus up to `jitter` of itself.
 * Jitter only shortens the delay, so the cap is a real cap and many crashing
 * components do not restart in lockstep.
 */
export function computeBackoff(attempt: number, backoff: BackoffConfig, random: () => number = Math.random): number {
  const base = Math.min(backoff.max, backoff.initial * Math.pow(backoff.factor, Math.max(0, attempt)));
  const delay = base * (1 - backoff.jitter * random());
  return Math.max(0, Math.round(delay));
}

/** Whether the restart policy wants another run after an exit with this outcome. */
export function shouldRestart(policy: RestartConfig['policy'], crashed: boolean): boolean {
  if (policy === 'always') return true;
  if (policy === 'on-failure') return crashed;
  return false;
}

/**
 * Restart times inside the sliding window. `record` adds one and answers
 * whether the count now exceeds `max_restarts` (a crash loop).
 */
export class RestartWindow {
  private times: number[] = [];

  /** Restarts counted in the window as of `now`. */
  count(now: number, windowMs: number): number {
    this.prune(now, windowMs);
    return this.times.length;
  }

  /** True when one more restart now would exceed `maxRestarts` within `windowMs`. */
  wouldExceed(now: number, windowMs: number, maxRestarts: number): boolean {
    return this.count(now, windowMs) >= maxRestarts;
  }

  record(now: number): void {
    this.times.push(now);
  }

  clear(): void {
    this.times = [];
  }

  private prune(now: number, windowMs: number): void {
    let drop = 0;
    while (drop < this.times.length && now - this.times[drop]! > windowMs) drop++;
    if (drop > 0) this.times.splice(0, drop);
  }
}

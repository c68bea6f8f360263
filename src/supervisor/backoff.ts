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

/** What to do after a generation ended on its own. */
export type ExitDecision = { kind: 'exit' } | { kind: 'fail'; reason: string } | { kind: 'restart'; delay: number };

/**
 * The restart policy of one component over time: the backoff attempt (reset
 * after a stable uptime) and the two crash-loop rules. A component goes
 * `failed` after more than `max_restarts` restarts within `window`, or after
 * more than `max_restarts` restarts in a row whose runs each ended within
 * `stable_after` of starting, however long the backoff made them take: with
 * the defaults (1 s doubling to 30 s) ten restarts take about three minutes,
 * so the window alone (10 in 60 s) could never trip.
 */
export class RestartTracker {
  /** Restarts in a row since the last run that lasted `stable_after`: the backoff exponent and the streak. */
  private attempt = 0;
  private readonly window = new RestartWindow();

  constructor(private readonly random: () => number = Math.random) {}

  /** Decides after an exit that ran `runtimeMs`; `lastExit` describes it for the crash-loop reason. */
  decide(restart: RestartConfig, crashed: boolean, runtimeMs: number, now: number, lastExit: string): ExitDecision {
    if (!shouldRestart(restart.policy, crashed)) return { kind: 'exit' };
    if (runtimeMs >= restart.stable_after) this.attempt = 0;
    if (this.window.wouldExceed(now, restart.window, restart.max_restarts)) {
      return { kind: 'fail', reason: `crash loop: ${tooMany(restart)} (last: ${lastExit})` };
    }
    if (this.attempt >= restart.max_restarts) {
      return { kind: 'fail', reason: `crash loop: ${inARow(restart)} (last: ${lastExit})` };
    }
    const delay = computeBackoff(this.attempt, restart.backoff, this.random);
    this.attempt++;
    this.window.record(now);
    return { kind: 'restart', delay };
  }

  /**
   * A restart corral decides on its own while the component runs
   * (`on_critical: restart`): it counts in the crash-loop window like a crash
   * restart. Returns why the component must go `failed` instead, or null.
   */
  automatic(restart: RestartConfig, now: number, what: string): string | null {
    if (this.window.wouldExceed(now, restart.window, restart.max_restarts)) {
      return `restart loop: ${tooMany(restart)} (last: ${what})`;
    }
    this.window.record(now);
    return null;
  }

  /** Forgets the crash history (`corral restart`, a start command). */
  reset(): void {
    this.window.clear();
    this.attempt = 0;
  }
}

/** `more than 1 restart within 60 s`, `more than 5 restarts within 500 ms`. */
function tooMany(restart: RestartConfig): string {
  const n = restart.max_restarts;
  return `more than ${n} ${n === 1 ? 'restart' : 'restarts'} within ${showMs(restart.window)}`;
}

/** `more than 10 restarts in a row, each run shorter than stable_after (60 s)`. */
function inARow(restart: RestartConfig): string {
  const n = restart.max_restarts;
  return `more than ${n} ${n === 1 ? 'restart' : 'restarts'} in a row, each run shorter than stable_after (${showMs(restart.stable_after)})`;
}

function showMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

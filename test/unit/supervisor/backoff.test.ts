import { describe, expect, it } from 'vitest';
import { computeBackoff, RestartTracker, RestartWindow, shouldRestart, type RestartConfig } from '../../../src/supervisor/backoff.js';

const backoff = { initial: 1000, max: 30_000, factor: 2, jitter: 0 };

describe('computeBackoff', () => {
  it('doubles from initial up to the cap', () => {
    const delays = Array.from({ length: 8 }, (_, i) => computeBackoff(i, backoff));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('jitter only shortens, by at most its fraction', () => {
    const j = { ...backoff, jitter: 0.2 };
    expect(computeBackoff(0, j, () => 0)).toBe(1000);
    expect(computeBackoff(0, j, () => 0.999999)).toBe(800);
    expect(computeBackoff(10, j, () => 0.5)).toBe(27_000);
    for (let i = 0; i < 100; i++) expect(computeBackoff(20, j)).toBeLessThanOrEqual(30_000);
  });

  it('does not overflow for huge attempts', () => {
    expect(computeBackoff(10_000, backoff)).toBe(30_000);
  });
});

describe('shouldRestart', () => {
  it('follows the policy', () => {
    expect(shouldRestart('always', false)).toBe(true);
    expect(shouldRestart('always', true)).toBe(true);
    expect(shouldRestart('on-failure', true)).toBe(true);
    expect(shouldRestart('on-failure', false)).toBe(false);
    expect(shouldRestart('never', true)).toBe(false);
  });
});

describe('RestartWindow', () => {
  it('counts restarts inside the sliding window only', () => {
    const w = new RestartWindow();
    w.record(0);
    w.record(500);
    w.record(900);
    expect(w.wouldExceed(1000, 1000, 3)).toBe(true);
    expect(w.count(1600, 1000)).toBe(1);
    expect(w.wouldExceed(1600, 1000, 3)).toBe(false);
    w.clear();
    expect(w.count(1600, 1000)).toBe(0);
  });
});

describe('RestartTracker', () => {
  it('names the crash loop in the right number', () => {
    const restart = { policy: 'on-failure', backoff, max_restarts: 1, window: 60_000, stable_after: 60_000 } as RestartConfig;
    const t = new RestartTracker(() => 0);
    expect(t.decide(restart, true, 10, 0, 'exit code 1').kind).toBe('restart');
    expect(t.decide(restart, true, 10, 1, 'exit code 1')).toEqual({ kind: 'fail', reason: 'crash loop: more than 1 restart within 60 s (last: exit code 1)' });
    const two = new RestartTracker(() => 0);
    const r2 = { ...restart, max_restarts: 2, window: 500 };
    two.decide(r2, true, 10, 0, 'x');
    two.decide(r2, true, 10, 1, 'x');
    expect(two.decide(r2, true, 10, 2, 'x')).toEqual({ kind: 'fail', reason: 'crash loop: more than 2 restarts within 500 ms (last: x)' });
  });
});

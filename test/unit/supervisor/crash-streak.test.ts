import { describe, expect, it } from 'vitest';
import { RestartSchema } from '../../../src/config/schema.js';
import { RestartTracker } from '../../../src/supervisor/backoff.js';

describe('crash loop with the default restart settings (issue 12)', () => {
  it('a component that dies 100 ms after each start goes failed after max_restarts restarts in a row, though the backoff spreads them over minutes', () => {
    const restart = RestartSchema.parse({});
    expect(restart).toMatchObject({ max_restarts: 10, window: 60_000, stable_after: 60_000 });
    const t = new RestartTracker(() => 0);
    let now = 0;
    const delays: number[] = [];
    for (;;) {
      now += 100; // the run
      const d = t.decide(restart, true, 100, now, 'exit code 1');
      if (d.kind === 'fail') {
        expect(d.reason).toBe('crash loop: more than 10 restarts in a row, each run shorter than stable_after (60 s) (last: exit code 1)');
        break;
      }
      expect(d.kind).toBe('restart');
      if (d.kind !== 'restart') return;
      delays.push(d.delay);
      now += d.delay;
      expect(delays.length).toBeLessThanOrEqual(10);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
    // Never more than 10 within any 60 s: the window alone would have restarted it for ever.
    expect(now).toBeGreaterThan(180_000);
  });

  it('a run that lasts stable_after ends the streak', () => {
    const restart = RestartSchema.parse({ max_restarts: 2 });
    const t = new RestartTracker(() => 0);
    let now = 0;
    const run = (runtime: number) => {
      now += 100_000;
      return t.decide(restart, true, runtime, now, 'x');
    };
    // A stable run starts a new streak (its own restart is the streak's first): two in a row, again and again.
    for (let round = 0; round < 5; round++) {
      expect(run(60_000).kind).toBe('restart');
      expect(run(10).kind).toBe('restart');
    }
    expect(run(60_000).kind).toBe('restart');
    expect(run(10).kind).toBe('restart');
    // The third restart in a row is one too many.
    expect(run(10)).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/more than 2 restarts in a row/) });
  });
});

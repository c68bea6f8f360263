import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { fixture, harness, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

describe('a crash loop slower than the window (real processes)', () => {
  it('goes failed with CMP002 after max_restarts short runs in a row, though no window ever held that many', async () => {
    h = harness({
      crasher: {
        command: ['sh', fixture('exit-at-once.sh'), '3'],
        // The window holds at most two restarts (40 ms, 80 ms, 160 ms... apart): only the streak can trip.
        restart: { backoff: { initial: '40ms', factor: 2, max: '320ms', jitter: 0 }, max_restarts: 5, window: '100ms', stable_after: '10s' },
      },
    });
    await h.supervisor.startAll();
    const crasher = h.supervisor.component('crasher')!;
    await waitFor('the crash loop to fail', () => crasher.state === 'failed', 20_000);
    const stopped = h.of('component.stopped', 'crasher');
    expect(stopped.map((e) => e.payload.next_restart_in_ms)).toEqual([40, 80, 160, 320, 320, null]);
    expect(stopped.at(-1)!.payload).toMatchObject({ reason: 'failed', restarts: 5 });
    expect(crasher.reason).toBe('crash loop: more than 5 restarts in a row, each run shorter than stable_after (10 s) (last: exit code 3)');
    expect(h.of('error.CMP002', 'crasher')).toHaveLength(1);
  });
});

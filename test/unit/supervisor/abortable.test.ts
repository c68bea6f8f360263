import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { abortable, abortedBy } from '../../../src/util/abort.js';
import { startWithTimeout, StartTimeoutError } from '../../../src/supervisor/start-timeout.js';
import { runProcess } from '../../../src/runners/process/index.js';
import { isProcessRunning } from '../../../src/util/proc.js';
import type { Instance } from '../../../src/runners/types.js';

describe('AbortSignal-based timeouts', () => {
  it('abortable settles as the promise does, or rejects with the timeout reason, and leaves no listener behind', async () => {
    expect(await abortable(Promise.resolve(7), AbortSignal.timeout(1000))).toBe(7);
    await expect(abortable(Promise.reject(new Error('own')), AbortSignal.timeout(1000))).rejects.toThrow('own');
    const deadline = AbortSignal.timeout(20);
    const err = await abortable(sleep(5000), deadline).catch((e: unknown) => e);
    expect(abortedBy(err, deadline)).toBe(true);
    expect((err as Error).name).toBe('TimeoutError');
    const long = new AbortController();
    let listeners = 0;
    const add = long.signal.addEventListener.bind(long.signal);
    long.signal.addEventListener = ((...a: Parameters<typeof add>) => (listeners++, add(...a))) as typeof add;
    const remove = long.signal.removeEventListener.bind(long.signal);
    long.signal.removeEventListener = ((...a: Parameters<typeof remove>) => (listeners--, remove(...a))) as typeof remove;
    for (let i = 0; i < 100; i++) await abortable(Promise.resolve(i), long.signal);
    expect(listeners).toBe(0);
  });

  it('a start that outlives start_timeout is StartTimeoutError, and the late instance is killed when it arrives', async () => {
    let late!: Instance;
    const lifecycle = {
      start: async () => {
        await sleep(300);
        late = await runProcess({ name: 'late', command: ['sleep', '1000'] });
        return late;
      },
    };
    const err = await startWithTimeout(lifecycle, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartTimeoutError);
    expect((err as Error).message).toBe('start did not complete within 50 ms');
    await expect.poll(() => late !== undefined, { timeout: 5000 }).toBe(true);
    expect(await late.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(isProcessRunning(late.pid!)).toBe(false);
  });
});

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exitOf, waitFor, withTimeout } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first truthy value of the check', async () => {
    let n = 0;
    expect(await waitFor('n to reach 3', () => (++n >= 3 ? `n=${n}` : null))).toBe('n=3');
  });

  it('with a test: returns the probed value that passed it', async () => {
    let n = 0;
    expect(await waitFor('n over 2', () => ++n, (v) => v > 2)).toBe(3);
  });

  it('fails naming what it waited for, the last value seen and the detail', async () => {
    let n = 0;
    const failed = waitFor('the list to hold b', () => ['a', String(++n)], (l) => l.includes('b'), { timeoutMs: 50, detail: () => ({ state: 'stuck' }) });
    await expect(failed).rejects.toThrow(/^timed out after 50 ms waiting for the list to hold b; last: \["a","\d+"\]; detail: \{"state":"stuck"\}$/);
  });

  it('a boolean check fails with no "last" (it says nothing more than false)', async () => {
    await expect(waitFor('never', () => false, 30)).rejects.toThrow(/^timed out after 30 ms waiting for never$/);
  });

  it('checks once more at the deadline, and pauses as long as a slow check took', async () => {
    const at: number[] = [];
    const slow = async () => {
      at.push(Date.now());
      await new Promise((r) => setTimeout(r, 40));
      return false;
    };
    await expect(waitFor('slow', slow, { timeoutMs: 200, everyMs: 1 })).rejects.toThrow(/waiting for slow/);
    // 40 ms a check and at least 40 ms between (the last pause is cut at the deadline): a handful,
    // not one every millisecond. A slower machine only makes fewer checks.
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect(at.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < at.length - 1; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(75);
  });
});

describe('withTimeout and exitOf', () => {
  it('withTimeout passes a settled promise through and names what did not settle', async () => {
    expect(await withTimeout('a value', Promise.resolve(7))).toBe(7);
    await expect(withTimeout('the reply', new Promise(() => {}), 20)).rejects.toThrow(/^timed out after 20 ms waiting for the reply$/);
  });

  it('exitOf resolves with the exit of a real process, also once it has exited', async () => {
    const child = spawn(process.execPath, ['-e', 'process.exit(3)']);
    expect(await exitOf(child)).toEqual({ code: 3, signal: null });
    expect(await exitOf(child)).toEqual({ code: 3, signal: null });
  });

  it('exitOf fails naming the process when it does not exit in time', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      await expect(exitOf(child, 100)).rejects.toThrow(new RegExp(`waiting for process ${child.pid} \\(.*node\\) to exit`));
    } finally {
      child.kill('SIGKILL');
      await exitOf(child);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { createMemoryBudget } from '../../../src/server/memory-budget.js';

describe('the daemon-wide memory budget', () => {
  it('grants what fits, refuses what does not, and lets bytes already held overdraw it', () => {
    const b = createMemoryBudget(1000);
    expect(b.tryReserve(600)).toBe(true);
    expect(b.tryReserve(500)).toBe(false);
    expect(b.tryReserve(500, 100)).toBe(true);
    expect(b.used()).toBe(1100);
    expect(b.available()).toBe(0);
    b.reserve(50);
    expect(b.used()).toBe(1150);
    b.release(1150);
    expect(b.used()).toBe(0);
    expect(() => createMemoryBudget(0)).toThrow(/positive number of bytes/);
  });

  it('wakes waiters, oldest first, once a release leaves room, and not after they cancelled', () => {
    const b = createMemoryBudget(128 * 1024);
    b.reserve(128 * 1024);
    const woken: string[] = [];
    b.whenAvailable(() => woken.push('first'));
    const cancel = b.whenAvailable(() => woken.push('cancelled'));
    b.whenAvailable(() => woken.push('second'));
    cancel();
    b.release(10);
    expect(woken).toEqual([]);
    b.release(100 * 1024);
    expect(woken).toEqual(['first', 'second']);
  });
});

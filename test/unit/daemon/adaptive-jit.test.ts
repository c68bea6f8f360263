import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compilersOff, startAdaptiveJit } from '../../../src/daemon/adaptive-jit.js';

describe('compilersOff', () => {
  it('names the compilers the flags turned off, as the flags that turn them on', () => {
    expect(compilersOff(['--max-semi-space-size=2', '--v8-pool-size=1', '--no-opt', '--no-sparkplug'])).toEqual(['--sparkplug', '--turbofan']);
    expect(compilersOff(['--no_turbofan'])).toEqual(['--turbofan']);
    expect(compilersOff(['--max-semi-space-size=2'])).toEqual([]);
  });
});

describe('startAdaptiveJit', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(seconds = 3) {
    let seq = 0;
    const enabled: string[] = [];
    const told: number[] = [];
    const jit = startAdaptiveJit({
      seq: () => seq,
      eventsPerSecond: 200,
      seconds,
      compilers: ['--sparkplug', '--turbofan'],
      enable: (flag) => enabled.push(flag),
      onEnable: (rate) => told.push(rate),
    });
    const second = async (events: number) => {
      seq += events;
      await vi.advanceTimersByTimeAsync(1000);
    };
    return { jit, enabled, told, second };
  }

  it('turns the compilers on after `seconds` busy seconds in a row, once', async () => {
    const { jit, enabled, told, second } = setup();
    await second(250);
    await second(250);
    expect(enabled).toEqual([]);
    expect(jit.enabled()).toBe(false);
    await second(300);
    expect(enabled).toEqual(['--sparkplug', '--turbofan']);
    expect(told).toEqual([300]);
    expect(jit.enabled()).toBe(true);
    for (let i = 0; i < 5; i++) await second(1000);
    expect(enabled).toHaveLength(2);
  });

  it('a burst shorter than that (a quiet second between) changes nothing', async () => {
    const { jit, enabled, second } = setup();
    for (let i = 0; i < 6; i++) await second(i % 3 === 2 ? 10 : 5000);
    expect(enabled).toEqual([]);
    expect(jit.enabled()).toBe(false);
    jit.stop();
  });

  it('stop() ends the watch', async () => {
    const { jit, enabled, second } = setup(1);
    jit.stop();
    await second(10_000);
    expect(enabled).toEqual([]);
  });

  it('a quiet bus is looked at less and less often, and the watch is back to every second once events flow', async () => {
    let seq = 0;
    let looks = 0;
    const enabled: string[] = [];
    const jit = startAdaptiveJit({
      seq: () => {
        looks++;
        return seq;
      },
      eventsPerSecond: 200,
      seconds: 3,
      compilers: ['--turbofan'],
      enable: (flag) => enabled.push(flag),
    });
    // A minute with no event: checks at 1, 2, 4, 8, 16, 30 s apart, not sixty of them.
    looks = 0;
    await vi.advanceTimersByTimeAsync(61_000);
    expect(looks).toBeLessThanOrEqual(6);
    expect(looks).toBeGreaterThanOrEqual(5);
    // Then a busy bus: the next check (at most 30 s away) sees it, and three busy seconds turn the compiler on.
    let elapsed = 0;
    while (enabled.length === 0 && elapsed < 40_000) {
      seq += 1000;
      await vi.advanceTimersByTimeAsync(1000);
      elapsed += 1000;
    }
    expect(enabled).toEqual(['--turbofan']);
    expect(elapsed).toBeLessThanOrEqual(34_000);
    expect(jit.enabled()).toBe(true);
  });

  it('with no compiler off there is nothing to do', () => {
    const jit = startAdaptiveJit({ seq: () => 0, compilers: [] });
    expect(jit.enabled()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compilersOff, startAdaptiveJit } from '../../../src/daemon/adaptive-jit.js';
import { createLogLoad } from '../../../src/logs/load.js';

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

  it('log output at the flood rate for `seconds` turns them on too; chatty output below it does not', async () => {
    const logs = createLogLoad();
    const enabled: string[] = [];
    const told: number[][] = [];
    startAdaptiveJit({
      seq: () => 0,
      logs,
      logBytesPerSecond: 2_000_000,
      seconds: 3,
      compilers: ['--turbofan'],
      enable: (flag) => enabled.push(flag),
      onEnable: (rate, _c, logRate) => told.push([rate, logRate]),
    });
    // A chatty component (200 KB/s) for a minute: nothing.
    for (let i = 0; i < 60; i++) {
      logs.add(200_000);
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(enabled).toEqual([]);
    // A flood: 3 MB a second. The watch may be backing off, but the flood wakes it.
    for (let i = 0; i < 5 && enabled.length === 0; i++) {
      for (let k = 0; k < 10; k++) {
        logs.add(300_000);
        await vi.advanceTimersByTimeAsync(100);
      }
    }
    expect(enabled).toEqual(['--turbofan']);
    expect(told[0]![0]).toBe(0);
    expect(told[0]![1]).toBeGreaterThanOrEqual(2_000_000);
  });

  it('a daemon idle for minutes is woken by a log flood, not by a timer: the compilers are on within ~4 s of its start', async () => {
    const logs = createLogLoad();
    const enabled: string[] = [];
    let looks = 0;
    startAdaptiveJit({
      seq: () => {
        looks++;
        return 0;
      },
      logs,
      seconds: 3,
      compilers: ['--turbofan'],
      enable: (flag) => enabled.push(flag),
    });
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    // Backed off to every 30 s (with a little output now and then it stays backed off).
    looks = 0;
    logs.add(5000);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(looks).toBeLessThanOrEqual(3);
    let elapsed = 0;
    while (enabled.length === 0 && elapsed < 30_000) {
      logs.add(300_000);
      await vi.advanceTimersByTimeAsync(100);
      elapsed += 100;
    }
    expect(enabled).toEqual(['--turbofan']);
    expect(elapsed).toBeLessThanOrEqual(4_100);
  });

  it('stop() clears the wake it left with the log load', async () => {
    const logs = createLogLoad();
    const enabled: string[] = [];
    const jit = startAdaptiveJit({ seq: () => 0, logs, seconds: 1, compilers: ['--turbofan'], enable: (flag) => enabled.push(flag) });
    await vi.advanceTimersByTimeAsync(10_000);
    jit.stop();
    logs.add(100_000_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(enabled).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with no compiler off there is nothing to do', () => {
    const jit = startAdaptiveJit({ seq: () => 0, compilers: [] });
    expect(jit.enabled()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

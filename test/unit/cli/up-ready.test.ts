import { describe, expect, it } from 'vitest';
import { describeNotReady, isLost, isReady } from '../../../src/cli/up.js';
import type { ComponentInfo } from '../../../src/supervisor/types.js';

function info(over: Partial<ComponentInfo>): ComponentInfo {
  return {
    name: 'c',
    plugin: 'process',
    state: 'running',
    pid: 1234,
    generation: 1,
    uptime_ms: 1500,
    ready_after_ms: 1000,
    restarts: 0,
    health: null,
    reason: null,
    cpu_percent: null,
    memory_mb: null,
    next_restart_in_ms: null,
    last_exit: null,
    exits: 0,
    depends_on: {},
    ...over,
  };
}

describe('up -d readiness', () => {
  it('running (healthy with a check) and never exited is ready', () => {
    expect(isReady(info({}))).toBe(true);
    expect(isReady(info({ state: 'healthy', health: 'healthy' }))).toBe(true);
    expect(isReady(info({ state: 'running', health: 'unknown' }))).toBe(false);
    expect(isReady(info({ state: 'disabled', pid: null }))).toBe(true);
  });

  it('without a probe, running counts as ready only once it has been up for ready_after', () => {
    expect(isReady(info({ uptime_ms: 400 }))).toBe(false);
    expect(isLost(info({ uptime_ms: 400 }))).toBe(false);
    expect(isReady(info({ uptime_ms: 1000 }))).toBe(true);
    expect(isReady(info({ uptime_ms: 0, ready_after_ms: 0 }))).toBe(true);
    // A passing probe is the readiness signal: no wait on top of it.
    expect(isReady(info({ state: 'healthy', health: 'healthy', uptime_ms: 10 }))).toBe(true);
  });

  it('a crash loop seen between two crashes is not ready, and is lost', () => {
    const between = info({ generation: 3, restarts: 2, last_exit: 'exit code 3', exits: 2 });
    expect(isReady(between)).toBe(false);
    expect(isLost(between)).toBe(true);
    expect(describeNotReady(between)).toBe('c (running, last exit: exit code 3)');
    const backoff = info({ state: 'backoff', pid: null, reason: 'exit code 3', last_exit: 'exit code 3', exits: 1, next_restart_in_ms: 800 });
    expect(isReady(backoff)).toBe(false);
    expect(isLost(backoff)).toBe(true);
    expect(describeNotReady(backoff)).toBe('c (backoff: exit code 3)');
  });

  it('a one-shot that completed is ready; one that exited badly is lost', () => {
    const done = info({ state: 'exited', pid: null, last_exit: 'exit code 0' });
    expect(isReady(done)).toBe(true);
    const bad = info({ state: 'exited', pid: null, reason: 'exit code 4', last_exit: 'exit code 4', exits: 1 });
    expect(isReady(bad)).toBe(false);
    expect(isLost(bad)).toBe(true);
  });

  it('counts only the exits after the baseline (what `up` saw before its request)', () => {
    const before = new Map([['c', 2]]);
    // Crashed twice before a `corral restart`, healthy now: ready, not lost, no "last exit" in its line.
    const restarted = info({ state: 'healthy', health: 'healthy', last_exit: 'exit code 1', exits: 2 });
    expect(isReady(restarted, before)).toBe(true);
    expect(isLost(restarted, before)).toBe(false);
    // Still waiting for its probe after the start: neither ready nor lost.
    const waiting = info({ state: 'running', health: 'unknown', last_exit: 'exit code 1', exits: 2 });
    expect(isReady(waiting, before)).toBe(false);
    expect(isLost(waiting, before)).toBe(false);
    expect(describeNotReady(waiting, before)).toBe('c (running)');
    // An old bad exit of a one-shot about to start again is not lost; a new one is.
    const oldBad = info({ state: 'exited', pid: null, reason: 'exit code 4', last_exit: 'exit code 4', exits: 2 });
    expect(isLost(oldBad, before)).toBe(false);
    expect(isLost({ ...oldBad, exits: 3 }, before)).toBe(true);
    // One more exit after the request: lost, with how it ended.
    const again = info({ state: 'backoff', pid: null, last_exit: 'exit code 1', exits: 3 });
    expect(isLost(again, before)).toBe(true);
    expect(describeNotReady(again, before)).toBe('c (backoff, last exit: exit code 1)');
  });

  it('pending and starting are not ready but not lost', () => {
    for (const state of ['pending', 'starting', 'unhealthy'] as const) {
      expect(isReady(info({ state }))).toBe(false);
      expect(isLost(info({ state }))).toBe(false);
    }
    expect(isLost(info({ state: 'failed', reason: 'crash loop' }))).toBe(true);
  });
});

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
    const between = info({ generation: 3, restarts: 2, last_exit: 'exit code 3' });
    expect(isReady(between)).toBe(false);
    expect(isLost(between)).toBe(true);
    expect(describeNotReady(between)).toBe('c (running, last exit: exit code 3)');
    const backoff = info({ state: 'backoff', pid: null, reason: 'exit code 3', last_exit: 'exit code 3', next_restart_in_ms: 800 });
    expect(isReady(backoff)).toBe(false);
    expect(isLost(backoff)).toBe(true);
    expect(describeNotReady(backoff)).toBe('c (backoff: exit code 3)');
  });

  it('a one-shot that completed is ready; one that exited badly is lost', () => {
    const done = info({ state: 'exited', pid: null, last_exit: 'exit code 0' });
    expect(isReady(done)).toBe(true);
    const bad = info({ state: 'exited', pid: null, reason: 'exit code 4', last_exit: 'exit code 4' });
    expect(isReady(bad)).toBe(false);
    expect(isLost(bad)).toBe(true);
  });

  it('pending and starting are not ready but not lost', () => {
    for (const state of ['pending', 'starting', 'unhealthy'] as const) {
      expect(isReady(info({ state }))).toBe(false);
      expect(isLost(info({ state }))).toBe(false);
    }
    expect(isLost(info({ state: 'failed', reason: 'crash loop' }))).toBe(true);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { Component, type ComponentOptions } from '../../../src/supervisor/component.js';
import { createComponentEvents } from '../../../src/supervisor/events.js';
import type { HealthWatchOptions, StartHealthWatch } from '../../../src/supervisor/health-watch.js';
import { FakeLifecycle } from './fake-lifecycle.js';
import { componentConfig, recordingBus } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const made: Component[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((c) => c.stop().catch(() => {})));
});

function setup(config: Record<string, unknown> = {}, extra: Partial<ComponentOptions> = {}) {
  const rec = recordingBus();
  const lifecycle = new FakeLifecycle();
  const component = new Component({
    name: 'web',
    config: componentConfig(config),
    resolveLifecycle: async () => lifecycle,
    events: createComponentEvents(rec.bus),
    startHealthWatch: () => null,
    ...extra,
  });
  made.push(component);
  return { ...rec, lifecycle, component };
}

/** A health watch the test drives by hand. */
function manualHealth() {
  const watches: HealthWatchOptions[] = [];
  let stopped = 0;
  const start: StartHealthWatch = (opts) => {
    watches.push(opts);
    return { stop: () => void stopped++ };
  };
  return { start, watches, stopped: () => stopped };
}

describe('Component', () => {
  it('starts once however often start is called, with generation 1 on the event', async () => {
    const { component, lifecycle, of } = setup();
    await Promise.all([component.start(), component.start(), component.start()]);
    await component.start();
    expect(lifecycle.instances).toHaveLength(1);
    expect(component.state).toBe('running');
    const started = of('component.started');
    expect(started).toHaveLength(1);
    expect(started[0]!.source).toBe('corral');
    expect(started[0]!.payload).toMatchObject({ component: 'web', pid: 1000, generation: 1, plugin: 'process', command: 'fake 1000' });
  });

  it('stops idempotently and reports reason stopped', async () => {
    const { component, lifecycle, of } = setup();
    await component.start();
    await Promise.all([component.stop(), component.stop()]);
    await component.stop();
    expect(component.state).toBe('stopped');
    expect(lifecycle.alive).toBe(0);
    const stopped = of('component.stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.payload).toMatchObject({ reason: 'stopped', generation: 1, pid: 1000, next_restart_in_ms: null });
  });

  it('reports a stop that needed SIGKILL as killed', async () => {
    const { component, lifecycle, of } = setup();
    lifecycle.ignoreStop = true;
    await component.start();
    await component.stop();
    expect(of('component.stopped')[0]!.payload).toMatchObject({ reason: 'killed', signal: 'SIGKILL' });
  });

  it('50 concurrent restarts leave exactly one generation alive and never two at once', async () => {
    const { component, lifecycle } = setup();
    await component.start();
    await Promise.all(Array.from({ length: 50 }, () => component.restart()));
    expect(lifecycle.alive).toBe(1);
    expect(lifecycle.maxAlive).toBe(1);
    expect(component.state).toBe('running');
    // Staggered requests interleaved with stops and starts.
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      calls.push(i % 7 === 3 ? component.stop() : i % 5 === 1 ? component.start() : component.restart());
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(calls);
    await component.start();
    expect(lifecycle.alive).toBe(1);
    expect(lifecycle.maxAlive).toBe(1);
    expect(component.generation).toBe(lifecycle.instances.length);
  });

  it('restarts a crash after a backoff, with the generation on every event', async () => {
    const { component, lifecycle, of } = setup({ restart: { backoff: { initial: '5ms', jitter: 0 } } });
    await component.start();
    lifecycle.last!.exit({ code: 3, signal: null });
    await waitFor('the restart', () => lifecycle.instances.length === 2 && component.state === 'running');
    const stopped = of('component.stopped');
    expect(stopped[0]!.payload).toMatchObject({ reason: 'crashed', exit_code: 3, generation: 1, next_restart_in_ms: 5, restarts: 0 });
    expect(of('component.started').map((e) => e.payload.generation)).toEqual([1, 2]);
    expect(component.restarts).toBe(1);
  });

  it('follows the policy: never → exited; on-failure and exit 0 → exited; always and exit 0 → restart', async () => {
    const never = setup({ restart: { policy: 'never' } });
    await never.component.start();
    never.lifecycle.last!.exit({ code: 1, signal: null });
    await waitFor('exited', () => never.component.state === 'exited');
    expect(never.component.reason).toBe('exit code 1');
    expect(never.of('component.stopped')[0]!.payload).toMatchObject({ reason: 'crashed', next_restart_in_ms: null });

    const clean = setup();
    await clean.component.start();
    clean.lifecycle.last!.exit({ code: 0, signal: null });
    await waitFor('exited', () => clean.component.state === 'exited');
    expect(clean.component.completedCleanly).toBe(true);
    expect(clean.of('component.stopped')[0]!.payload).toMatchObject({ reason: 'exited', exit_code: 0 });

    const always = setup({ restart: { policy: 'always', backoff: { initial: '1ms' } } });
    await always.component.start();
    always.lifecycle.last!.exit({ code: 0, signal: null });
    await waitFor('a restart', () => always.lifecycle.instances.length === 2);
  });

  it('1,000 instant crashes: delays grow to the cap, then failed with CMP002', async () => {
    const { component, lifecycle, of } = setup({
      restart: { backoff: { initial: '1ms', max: '8ms', jitter: 0 }, max_restarts: 999, window: '10m' },
    });
    lifecycle.exitAtOnce = { code: 1, signal: null };
    // The backoffs are timers on a fake clock: 1,000 of them run without waiting ~8 s of real time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      await component.start();
      for (let tick = 0; tick < 10_000 && component.state !== 'failed'; tick++) await vi.advanceTimersByTimeAsync(8);
    } finally {
      vi.useRealTimers();
    }
    expect(component.state).toBe('failed');
    expect(lifecycle.instances).toHaveLength(1000);
    expect(component.generation).toBe(1000);
    expect(component.restarts).toBe(999);
    const stopped = of('component.stopped');
    expect(stopped).toHaveLength(1000);
    expect(stopped.map((e) => e.payload.generation)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const delays = stopped.slice(0, 999).map((e) => e.payload.next_restart_in_ms as number);
    expect(delays.slice(0, 6)).toEqual([1, 2, 4, 8, 8, 8]);
    expect(Math.max(...delays)).toBe(8);
    expect(delays.filter((d) => d === 8)).toHaveLength(996);
    expect(stopped.at(-1)!.payload).toMatchObject({ reason: 'failed', next_restart_in_ms: null, generation: 1000 });
    expect(component.reason).toMatch(/more than 999 restarts/);
    const errors = of('error.CMP002', 'web');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.payload.error_message).toMatch(/crash loop/);
    // restart clears failed
    lifecycle.exitAtOnce = null;
    await component.restart();
    expect(component.state).toBe('running');
  }, 60_000);

  it('waits on one timer during a backoff: nothing runs until it fires (no busy loop)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { component, lifecycle } = setup({ restart: { backoff: { initial: '10s', jitter: 0 } } });
      lifecycle.exitAtOnce = { code: 1, signal: null };
      await component.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(component.state).toBe('backoff');
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(9_999);
      expect(lifecycle.instances).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(lifecycle.instances).toHaveLength(2);
      expect(component.state).toBe('backoff');
      expect(component.info().next_restart_in_ms).toBe(20_000);
      expect(vi.getTimerCount()).toBe(1);
      lifecycle.exitAtOnce = null;
      await component.stop();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resets the backoff after a stable uptime', async () => {
    let clock = 0;
    const { component, lifecycle, of } = setup(
      { restart: { backoff: { initial: '1ms', jitter: 0 }, stable_after: '1s' } },
      { now: () => clock },
    );
    await component.start();
    for (let i = 0; i < 3; i++) {
      lifecycle.last!.exit({ code: 1, signal: null });
      await waitFor('restart', () => lifecycle.instances.length === i + 2 && component.state === 'running');
    }
    clock += 5000; // this generation ran for 5 s: stable
    lifecycle.last!.exit({ code: 1, signal: null });
    await waitFor('restart', () => lifecycle.instances.length === 5);
    expect(of('component.stopped').map((e) => e.payload.next_restart_in_ms)).toEqual([1, 2, 4, 1]);
  });

  it('a start that throws → failed with the error, CMP002; restart clears it', async () => {
    const { component, lifecycle, of } = setup();
    lifecycle.startError = Object.assign(new Error('spawn nope ENOENT'), { code: 'ENOENT' });
    await component.start();
    expect(component.state).toBe('failed');
    expect(component.reason).toBe('spawn nope ENOENT');
    expect(of('component.stopped')[0]!.payload).toMatchObject({ reason: 'failed', pid: null, error: 'spawn nope ENOENT' });
    expect(of('error.CMP002')[0]!.payload.error_message).toMatch(/ENOENT/);
    lifecycle.startError = null;
    await component.restart();
    expect(component.state).toBe('running');
    expect(component.generation).toBe(2);
  });

  it('a start that hangs past start_timeout → CMP001 and failed', async () => {
    const { component, lifecycle, of } = setup({ start_timeout: '30ms' });
    lifecycle.hangStart = true;
    await component.start();
    expect(component.state).toBe('failed');
    expect(component.reason).toMatch(/within 30 ms/);
    expect(of('error.CMP001')).toHaveLength(1);
    expect(of('error.CMP002')).toHaveLength(0);
  });

  it('health: states, component.health on changes only, CMP001 once per run of timeouts', async () => {
    const health = manualHealth();
    const { component, of } = setup({ health: { http: 'http://127.0.0.1:1/health' } }, { startHealthWatch: health.start });
    await component.start();
    expect(component.health).toBe('unknown');
    const w = health.watches[0]!;
    w.onStatus('healthy', 'HTTP 200', false);
    w.onStatus('healthy', 'HTTP 200', false);
    expect(component.state).toBe('healthy');
    w.onCheck!(false, 'timed out after 2000ms', true);
    w.onCheck!(false, 'timed out after 2000ms', true);
    w.onStatus('unhealthy', 'timed out after 2000ms', true);
    expect(component.state).toBe('unhealthy');
    expect(component.reason).toBe('timed out after 2000ms');
    w.onCheck!(true, 'HTTP 200', false);
    w.onStatus('healthy', 'HTTP 200', false);
    w.onCheck!(false, 'timed out after 2000ms', true);
    expect(of('error.CMP001')).toHaveLength(2);
    const changes = of('component.health').map((e) => [e.payload.previous, e.payload.status, e.payload.probe, e.payload.generation]);
    expect(changes).toEqual([
      ['unknown', 'healthy', 'http', 1],
      ['healthy', 'unhealthy', 'http', 1],
      ['unhealthy', 'healthy', 'http', 1],
    ]);
    await component.stop();
    expect(health.stopped()).toBe(1);
    // A late report from the old generation changes nothing.
    w.onStatus('unhealthy', 'late', false);
    expect(component.state).toBe('stopped');
  });

  it('not healthy within start_timeout → CMP001', async () => {
    const health = manualHealth();
    const { component, of } = setup({ start_timeout: '20ms', health: { tcp: '1' } }, { startHealthWatch: health.start });
    await component.start();
    await waitFor('CMP001', () => of('error.CMP001').length === 1);
    expect(of('error.CMP001')[0]!.payload.error_message).toMatch(/not healthy within start_timeout/);
  });

  it("polls the lifecycle's own health() when there is no probe", async () => {
    const health = manualHealth();
    const { component, lifecycle } = setup({}, { startHealthWatch: health.start });
    (lifecycle as unknown as { health: () => Promise<{ ok: boolean }> }).health = async () => ({ ok: true });
    await component.start();
    expect(health.watches).toHaveLength(1);
    health.watches[0]!.onStatus('healthy', 'ok', false);
    expect(component.state).toBe('healthy');
  });

  it('disabled components refuse to start', async () => {
    const { component, lifecycle } = setup({ enabled: false });
    expect(component.state).toBe('disabled');
    await expect(component.start()).rejects.toThrow(/disabled/);
    expect(lifecycle.instances).toHaveLength(0);
  });

  it('reconfigure swaps the lifecycle and restarts a live component', async () => {
    const { component, lifecycle } = setup();
    await component.start();
    await component.reconfigure(componentConfig({ command: 'other' }), { start: false });
    expect(lifecycle.disposed).toBe(1);
    expect(component.config.command).toBe('other');
    expect(component.state).toBe('running');
    expect(lifecycle.alive).toBe(1);
    expect(component.generation).toBe(2);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { CorralEvent } from '../../../src/schema/events.js';
import { fixture, freePort, harness, type Harness } from './harness.js';
import { waitFor } from '../../helpers/wait-for.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

/** `started NAME gN` / `healthy NAME gN` / `stopped NAME gN`: the lifecycle events, in order. */
function story(events: CorralEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const p = e.payload;
    if (e.event_type === 'component.started') out.push(`started ${p.component} g${p.generation}`);
    else if (e.event_type === 'component.stopped') out.push(`stopped ${p.component} g${p.generation}`);
    else if (e.event_type === 'component.health' && p.status === 'healthy') out.push(`healthy ${p.component} g${p.generation}`);
  }
  return out;
}

function web(port: number, extra: Record<string, unknown> = {}) {
  return {
    command: ['node', fixture('http-server.js')],
    env: { PORT: port },
    health: { http: `http://127.0.0.1:${port}/health`, interval: '50ms', timeout: '500ms', failures: 1 },
    ...extra,
  };
}

describe('depends_on after the first start, with real processes', () => {
  it('a crash restart of a dependant waits until its dependency is healthy again', async () => {
    const port = await freePort();
    h = harness({
      // web comes back slowly (a long backoff, then its probe), api would come back at once.
      web: web(port, { restart: { backoff: { initial: '300ms', max: '300ms', jitter: 0 } } }),
      api: { command: ['sleep', '1000'], depends_on: { web: 'healthy' }, restart: { backoff: { initial: '10ms', max: '10ms', jitter: 0 } } },
    });
    await h.supervisor.startAll();
    const webC = h.supervisor.component('web')!;
    const api = h.supervisor.component('api')!;
    expect(api.state).toBe('running');

    // Both crash: web first, then its dependant.
    process.kill(webC.pid!, 'SIGKILL');
    await waitFor('web crashed', () => h!.of('component.stopped', 'web').length === 1);
    process.kill(api.pid!, 'SIGKILL');
    await waitFor('api crashed', () => h!.of('component.stopped', 'api').length === 1);

    // api's backoff is long over before web is back: it waits, saying for what, with nothing running.
    await waitFor('api waiting for web', () => api.state === 'pending');
    expect(api.reason).toBe('waiting for "web" (healthy)');
    expect(api.pid).toBeNull();
    expect(h.supervisor.list().find((c) => c.name === 'api')).toMatchObject({ state: 'pending', last_exit: 'signal SIGKILL', next_restart_in_ms: null });
    expect(h.supervisor.statuses().api).toBe('starting');

    await waitFor('api restarted', () => h!.of('component.started', 'api').length === 2);
    expect(story(h.events)).toEqual([
      'started web g1',
      'healthy web g1',
      'started api g1',
      'stopped web g1',
      'stopped api g1',
      'started web g2',
      'healthy web g2',
      'started api g2',
    ]);
    expect(api.restarts).toBe(1);
    expect(api.state).toBe('running');
  });

  it('stopping a dependant while it waits cancels its restart; its dependency stopped, it waits and says so', async () => {
    const port = await freePort();
    h = harness({
      web: web(port),
      api: { command: ['sleep', '1000'], depends_on: { web: 'healthy' }, restart: { backoff: { initial: '10ms', max: '10ms', jitter: 0 } } },
    });
    await h.supervisor.startAll();
    const api = h.supervisor.component('api')!;
    await h.supervisor.stop('web');
    expect(api.state).toBe('running'); // `stop web` stops web alone
    process.kill(api.pid!, 'SIGKILL');
    await waitFor('api waiting', () => api.state === 'pending');
    expect(api.reason).toBe('dependency "web" is stopped');

    await h.supervisor.stop('api');
    expect(api.state).toBe('stopped');
    await h.supervisor.start('web');
    await waitFor('web healthy', () => h!.supervisor.component('web')!.state === 'healthy');
    // web is back and healthy: api, stopped by hand, stays stopped.
    expect(api.state).toBe('stopped');
    expect(h.of('component.started', 'api')).toHaveLength(1);
  });

  it('start NAME starts its stopped dependencies first (transitively), then it once their conditions hold', async () => {
    const port = await freePort();
    h = harness({
      db: { command: ['sleep', '1000'] },
      web: web(port, { depends_on: { db: 'started' } }),
      api: { command: ['sleep', '1000'], depends_on: { web: 'healthy' } },
      other: { command: ['sleep', '1000'] },
    });
    await h.supervisor.start('api');
    expect(story(h.events)).toEqual(['started db g1', 'started web g1', 'healthy web g1', 'started api g1']);
    expect(h.supervisor.component('api')!.state).toBe('running');
    expect(h.supervisor.component('other')!.state).toBe('stopped');

    // Stop the chain's root by hand: start api (still running) changes nothing, start web brings db back first.
    await h.supervisor.stop('db');
    await h.supervisor.start('api');
    expect(h.supervisor.component('db')!.state).toBe('stopped');
    await h.supervisor.restart('web');
    expect(h.supervisor.component('web')!.state).toBe('pending');
    expect(h.supervisor.component('web')!.reason).toBe('dependency "db" is stopped');
    await h.supervisor.start('web');
    expect(h.supervisor.component('db')!.state).toBe('running');
    await waitFor('web healthy again', () => h!.supervisor.component('web')!.state === 'healthy');
    expect(story(h.events).slice(4)).toEqual(['stopped db g1', 'stopped web g1', 'started db g2', 'started web g2', 'healthy web g2']);
  });
});

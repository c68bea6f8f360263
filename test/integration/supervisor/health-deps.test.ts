import { afterEach, describe, expect, it } from 'vitest';
import { fixture, freePort, harness, type Harness } from './harness.js';
import { waitFor } from '../../helpers/wait-for.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

describe('supervisor health and dependencies with real processes', () => {
  it('a health endpoint that hangs → CMP001 after the probe timeout, and the loop goes on to healthy', async () => {
    const port = await freePort();
    h = harness({
      web: {
        command: ['node', fixture('http-hang-first.js')],
        env: { PORT: port, HANG: 2 },
        health: { http: `http://127.0.0.1:${port}/health`, interval: '100ms', timeout: '200ms', failures: 1, initial_delay: '200ms' },
      },
    });
    await h.supervisor.startAll();
    const web = h.supervisor.component('web')!;
    await waitFor('CMP001', () => h!.of('error.CMP001', 'web').length > 0);
    const cmp = h.of('error.CMP001', 'web')[0]!;
    expect(cmp.payload.error_message).toMatch(/health probe \(http\) timed out/);
    // Two hung checks, then answers: the loop was not stuck on the hung one.
    await waitFor('healthy after the hangs', () => web.state === 'healthy');
    const health = h.of('component.health', 'web').map((e) => [e.payload.previous, e.payload.status]);
    expect(health).toEqual([
      ['unknown', 'unhealthy'],
      ['unhealthy', 'healthy'],
    ]);
    expect(h.of('component.health', 'web')[0]!.payload).toMatchObject({ probe: 'http', generation: 1 });
    // One CMP001 for the run of two timeouts.
    expect(h.of('error.CMP001', 'web')).toHaveLength(1);
    expect(h.supervisor.statuses()).toEqual({ web: 'healthy' });
  });

  it('depends_on healthy: the dependant starts only once the http probe passes', async () => {
    const port = await freePort();
    h = harness({
      web: {
        command: ['node', fixture('http-server.js')],
        env: { PORT: port },
        health: { http: `http://127.0.0.1:${port}/health`, interval: '50ms', timeout: '500ms' },
      },
      api: { command: ['sleep', '1000'], depends_on: { web: 'healthy' } },
    });
    await h.supervisor.startAll();
    // Probes before the server listens may fail first; api starts right after the first healthy.
    const seq = h.events
      .filter((e) => e.event_type === 'component.started' || e.event_type === 'component.health')
      .map((e) => `${e.event_type} ${e.payload.component}${e.payload.status ? ` ${e.payload.status}` : ''}`);
    expect(seq[0]).toBe('component.started web');
    expect(seq.slice(-2)).toEqual(['component.health web healthy', 'component.started api']);
    expect(seq.filter((x) => x === 'component.started api')).toHaveLength(1);
    expect(h.supervisor.component('api')!.state).toBe('running');
  });

  it('depends_on completed: the dependant starts after a clean exit; a failing one blocks it', async () => {
    h = harness({
      migrate: { command: ['sh', fixture('exit-at-once.sh'), '0'] },
      api: { command: ['sleep', '1000'], depends_on: { migrate: 'completed' } },
      bad: { command: ['sh', fixture('exit-at-once.sh'), '4'], restart: { policy: 'never' } },
      after_bad: { command: ['sleep', '1000'], depends_on: { bad: 'completed' } },
    });
    await h.supervisor.startAll();
    const order = h.events
      .filter((e) => ['component.started', 'component.stopped'].includes(e.event_type) && ['migrate', 'api'].includes(e.payload.component as string))
      .map((e) => `${e.event_type} ${e.payload.component}`);
    expect(order).toEqual(['component.started migrate', 'component.stopped migrate', 'component.started api']);
    expect(h.supervisor.component('migrate')!.state).toBe('exited');
    expect(h.supervisor.component('api')!.state).toBe('running');
    const afterBad = h.supervisor.component('after_bad')!;
    expect(afterBad.state).toBe('pending');
    expect(afterBad.reason).toBe('dependency "bad" did not complete: exit code 4');
    expect(afterBad.pid).toBeNull();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type GroupInfo, type Supervisor } from '../../../src/supervisor/supervisor.js';
import { UnknownComponentError } from '../../../src/supervisor/types.js';
import type { HealthWatchOptions, StartHealthWatch } from '../../../src/supervisor/health-watch.js';
import { FakeLifecycle } from './fake-lifecycle.js';
import { corralConfig, recordingBus } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stopAll(5000)));
});

function setup(components: Record<string, Record<string, unknown>>) {
  const rec = recordingBus();
  const lifecycles: Record<string, FakeLifecycle> = {};
  const watches = new Map<string, HealthWatchOptions>();
  const startHealthWatch: StartHealthWatch = (opts) => {
    watches.set(opts.name, opts);
    return { stop: () => {} };
  };
  const groups: GroupInfo[][] = [];
  const order: string[] = [];
  const supervisor = createSupervisor({
    bus: rec.bus,
    config: corralConfig(components),
    resolveLifecycle: async (name) => {
      const l = (lifecycles[name] ??= new FakeLifecycle());
      const start = l.start.bind(l);
      l.start = async () => {
        order.push(`start ${name}`);
        return start();
      };
      return l;
    },
    onGroupsChanged: (g) => groups.push(g),
    startHealthWatch,
  });
  supervisors.push(supervisor);
  const lifecycle = (name: string) => (lifecycles[name] ??= new FakeLifecycle());
  const state = (name: string) => supervisor.component(name)!.state;
  return { ...rec, supervisor, lifecycle, watches, groups, order, state };
}

describe('createSupervisor', () => {
  it('starts independent components and dependants after them; disabled stays disabled', async () => {
    const s = setup({ db: {}, cache: {}, api: { depends_on: ['db', 'cache'] }, off: { enabled: false } });
    await s.supervisor.startAll();
    expect(s.order.indexOf('start api')).toBe(2);
    expect(s.state('api')).toBe('running');
    expect(s.state('off')).toBe('disabled');
    expect(s.supervisor.statuses()).toEqual({ db: 'healthy', cache: 'healthy', api: 'healthy', off: 'stopped' });
  });

  it('healthy: waits for the probe to pass', async () => {
    const s = setup({ db: { health: { tcp: '5432' } }, api: { depends_on: { db: 'healthy' } } });
    const all = s.supervisor.startAll();
    await waitFor('the probe of db', () => s.watches.has('db'));
    expect(s.state('api')).toBe('pending');
    expect(s.supervisor.component('api')!.reason).toBe('waiting for "db" (healthy)');
    expect(s.supervisor.statuses().api).toBe('starting');
    s.watches.get('db')!.onStatus('healthy', 'connected', false);
    await all;
    expect(s.state('api')).toBe('running');
  });

  it('completed: waits for a clean exit', async () => {
    const s = setup({ migrate: { restart: { policy: 'never' } }, api: { depends_on: { migrate: 'completed' } } });
    const all = s.supervisor.startAll();
    await waitFor('migrate', () => s.lifecycle('migrate').instances.length === 1);
    expect(s.state('api')).toBe('pending');
    s.lifecycle('migrate').last!.exit({ code: 0, signal: null });
    await all;
    expect(s.state('api')).toBe('running');
  });

  it('a failed dependency leaves the chain pending with a reason naming it, and recovers on restart', async () => {
    const s = setup({ db: {}, api: { depends_on: ['db'] }, web: { depends_on: ['api'] }, other: {} });
    s.lifecycle('db').startError = new Error('spawn postgres ENOENT');
    await s.supervisor.startAll();
    expect(s.state('db')).toBe('failed');
    expect(s.state('other')).toBe('running');
    expect(s.state('api')).toBe('pending');
    expect(s.supervisor.component('api')!.reason).toMatch(/dependency "db" failed: spawn postgres ENOENT/);
    expect(s.state('web')).toBe('pending');
    expect(s.supervisor.component('web')!.reason).toMatch(/dependency "api" is blocked/);
    s.lifecycle('db').startError = null;
    await s.supervisor.restart('db');
    await waitFor('web after db recovered', () => s.state('web') === 'running');
  });

  it('completed dependency that crashes blocks', async () => {
    const s = setup({ migrate: { restart: { policy: 'never' } }, api: { depends_on: { migrate: 'completed' } } });
    const all = s.supervisor.startAll();
    await waitFor('migrate', () => s.lifecycle('migrate').instances.length === 1);
    s.lifecycle('migrate').last!.exit({ code: 2, signal: null });
    await all;
    expect(s.supervisor.component('api')!.reason).toBe('dependency "migrate" did not complete: exit code 2');
  });

  it('stopAll stops dependants first', async () => {
    const s = setup({ db: {}, api: { depends_on: ['db'] }, web: { depends_on: ['api'] } });
    await s.supervisor.startAll();
    const stopped: string[] = [];
    s.bus.subscribe({ event_type: 'component.stopped' }, (e) => stopped.push(e.event.payload.component as string));
    expect(await s.supervisor.stopAll(5000)).toEqual({ blocked: [] });
    expect(stopped).toEqual(['web', 'api', 'db']);
    for (const n of ['db', 'api', 'web']) expect(s.state(n)).toBe('stopped');
  });

  it('stopAll names what blocks it when the deadline passes', async () => {
    const s = setup({ db: {}, slow: { depends_on: ['db'] } });
    await s.supervisor.startAll();
    s.lifecycle('slow').stopDelayMs = 300;
    const result = await s.supervisor.stopAll(50);
    expect(result.blocked).toEqual(['slow']);
    await waitFor('db stopped after all', () => s.state('db') === 'stopped');
  });

  it('unknown names throw UnknownComponentError', async () => {
    const s = setup({ a: {} });
    await expect(s.supervisor.start('nope')).rejects.toBeInstanceOf(UnknownComponentError);
    await expect(s.supervisor.stop('nope')).rejects.toBeInstanceOf(UnknownComponentError);
    await expect(s.supervisor.restart('nope')).rejects.toThrow('no component named "nope"');
    expect(s.supervisor.pidsOf('nope')).toEqual([]);
  });

  it('list, pidsOf, setSample and onGroupsChanged', async () => {
    const s = setup({ a: { depends_on: [] }, b: {} });
    await s.supervisor.startAll();
    s.supervisor.setSample('a', { cpu_percent: 1.5, memory_mb: 20 });
    const a = s.supervisor.list().find((c) => c.name === 'a')!;
    expect(a).toMatchObject({ plugin: 'process', state: 'running', generation: 1, restarts: 0, cpu_percent: 1.5, memory_mb: 20, health: null });
    expect(s.supervisor.pidsOf('a')).toEqual([a.pid]);
    expect(s.groups.at(-1)!.map((g) => g.name).sort()).toEqual(['a', 'b']);
    await s.supervisor.stop('a');
    expect(s.groups.at(-1)!.map((g) => g.name)).toEqual(['b']);
  });

  it('applyPlan: add, remove, restart with new config, update in place, disable', async () => {
    const s = setup({ keep: {}, gone: {}, change: {}, tune: {}, off: {} });
    await s.supervisor.startAll();
    const next = corralConfig({
      keep: {},
      change: { command: 'new' },
      tune: { restart: { policy: 'never' } },
      off: { enabled: false },
      fresh: {},
    });
    await s.supervisor.applyPlan(next, { added: ['fresh'], removed: ['gone'], restarted: ['change'], updated: ['tune', 'off'] });
    expect(s.supervisor.component('gone')).toBeUndefined();
    expect(s.lifecycle('gone').alive).toBe(0);
    expect(s.lifecycle('gone').disposed).toBe(1);
    expect(s.state('fresh')).toBe('running');
    expect(s.supervisor.component('change')!.generation).toBe(2);
    expect(s.supervisor.component('change')!.config.command).toBe('new');
    expect(s.supervisor.component('tune')!.generation).toBe(1);
    s.lifecycle('tune').last!.exit({ code: 1, signal: null });
    await waitFor('the new policy', () => s.state('tune') === 'exited');
    expect(s.state('off')).toBe('disabled');
    expect(s.supervisor.list().map((c) => c.name).sort()).toEqual(['change', 'fresh', 'keep', 'off', 'tune']);
  });

  it('applyPlan updated: a new probe takes effect without a restart', async () => {
    const s = setup({ web: { health: { tcp: '1111' } } });
    await s.supervisor.startAll();
    s.watches.get('web')!.onStatus('healthy', 'connected', false);
    expect(s.state('web')).toBe('healthy');
    await s.supervisor.applyPlan(corralConfig({ web: { health: { tcp: '2222', interval: '1s' } } }), {
      added: [],
      removed: [],
      restarted: [],
      updated: ['web'],
    });
    const web = s.supervisor.component('web')!;
    expect(web.generation).toBe(1);
    expect(s.watches.get('web')!.health!.tcp).toBe('2222');
    expect(web.health).toBe('unknown');
    expect(web.state).toBe('running');
    s.watches.get('web')!.onStatus('unhealthy', 'refused', false);
    expect(web.state).toBe('unhealthy');
  });
  it('a crash restart waits for its dependency to be healthy again, then goes ahead', async () => {
    const s = setup({ db: { health: { tcp: '5432' } }, api: { depends_on: { db: 'healthy' }, restart: { backoff: { initial: '1ms', max: '1ms' } } } });
    const all = s.supervisor.startAll();
    await waitFor('the probe of db', () => s.watches.has('db'));
    s.watches.get('db')!.onStatus('healthy', 'connected', false);
    await all;
    expect(s.state('api')).toBe('running');
    s.watches.get('db')!.onStatus('unhealthy', 'refused', false);
    s.lifecycle('api').last!.exit({ code: 1, signal: null });
    const api = s.supervisor.component('api')!;
    await waitFor('api waiting after its backoff', () => api.state === 'pending');
    expect(api.reason).toBe('waiting for "db" (healthy)');
    expect(api.waiting).toBe(true);
    expect(api.info()).toMatchObject({ next_restart_in_ms: null, last_exit: 'exit code 1', restarts: 0 });
    expect(s.lifecycle('api').instances).toHaveLength(1);
    s.watches.get('db')!.onStatus('healthy', 'connected', false);
    await waitFor('api restarted', () => api.state === 'running');
    expect(s.lifecycle('api').instances).toHaveLength(2);
    expect(api.restarts).toBe(1);
    expect(s.lifecycle('api').maxAlive).toBe(1);
  });

  it('stopping a component that waits for its dependencies cancels the wait', async () => {
    const s = setup({ db: {}, api: { depends_on: ['db'], restart: { backoff: { initial: '1ms', max: '1ms' } } } });
    await s.supervisor.startAll();
    await s.supervisor.stop('db');
    expect(s.state('api')).toBe('running'); // dependants of a stopped component keep running
    s.lifecycle('api').last!.exit({ code: 1, signal: null });
    const api = s.supervisor.component('api')!;
    await waitFor('api waiting', () => api.state === 'pending');
    expect(api.reason).toBe('dependency "db" is stopped');
    await s.supervisor.stop('api');
    expect(api.state).toBe('stopped');
    expect(api.waiting).toBe(false);
    await s.supervisor.start('db');
    expect(s.state('db')).toBe('running');
    expect(s.state('api')).toBe('stopped');
    expect(s.lifecycle('api').instances).toHaveLength(1);
  });

  it('a crash restart into a stopped dependency waits, and goes ahead once it is started again', async () => {
    const s = setup({ db: {}, api: { depends_on: ['db'], restart: { backoff: { initial: '1ms', max: '1ms' } } } });
    await s.supervisor.startAll();
    await s.supervisor.stop('db');
    s.lifecycle('api').last!.exit({ code: 1, signal: null });
    await waitFor('api waiting', () => s.state('api') === 'pending');
    await s.supervisor.start('db');
    await waitFor('api restarted after db', () => s.state('api') === 'running');
    expect(s.order).toEqual(['start db', 'start api', 'start db', 'start api']);
  });

  it('start NAME starts its stopped dependencies first, transitively, then it once they are ready', async () => {
    const s = setup({
      db: { health: { tcp: '5432' } },
      cache: {},
      api: { depends_on: { db: 'healthy', cache: 'started' } },
      web: { depends_on: ['api'] },
      other: {},
    });
    const started = s.supervisor.start('web');
    await waitFor('the probe of db', () => s.watches.has('db'));
    expect(s.order.sort()).toEqual(['start cache', 'start db']);
    expect(s.state('api')).toBe('pending');
    expect(s.state('web')).toBe('pending');
    s.watches.get('db')!.onStatus('healthy', 'connected', false);
    await started;
    expect(s.order.slice(2)).toEqual(['start api', 'start web']);
    expect(s.state('web')).toBe('running');
    expect(s.state('other')).toBe('stopped');
    // Idempotent: nothing more starts.
    await s.supervisor.start('web');
    expect(s.order).toHaveLength(4);
  });

  it('start NAME leaves a completed dependency alone and restarts a failed one', async () => {
    const s = setup({ migrate: { restart: { policy: 'never' } }, db: {}, api: { depends_on: { migrate: 'completed', db: 'started' } } });
    s.lifecycle('db').startError = new Error('spawn postgres ENOENT');
    const all = s.supervisor.startAll();
    await waitFor('migrate', () => s.lifecycle('migrate').instances.length === 1);
    s.lifecycle('migrate').last!.exit({ code: 0, signal: null });
    await all;
    expect(s.supervisor.component('api')!.reason).toMatch(/dependency "db" failed/);
    s.lifecycle('db').startError = null;
    await s.supervisor.start('api');
    expect(s.state('api')).toBe('running');
    expect(s.lifecycle('migrate').instances).toHaveLength(1);
    expect(s.order.filter((x) => x === 'start db')).toHaveLength(2);
  });

  it('restart NAME with a stopped dependency does not start either: it waits, blocked, and says why', async () => {
    const s = setup({ db: {}, api: { depends_on: ['db'] } });
    await s.supervisor.startAll();
    await s.supervisor.stop('db');
    await s.supervisor.restart('api');
    expect(s.state('db')).toBe('stopped');
    expect(s.state('api')).toBe('pending');
    expect(s.supervisor.component('api')!.reason).toBe('dependency "db" is stopped');
    expect(s.lifecycle('api').alive).toBe(0);
    await s.supervisor.start('db');
    await waitFor('api once db runs', () => s.state('api') === 'running');
  });

  it('restart of a dependency: a dependant that crashes meanwhile restarts only once it is back', async () => {
    const s = setup({ db: {}, api: { depends_on: ['db'], restart: { backoff: { initial: '1ms', max: '1ms' } } } });
    await s.supervisor.startAll();
    s.lifecycle('db').stopDelayMs = 50;
    const restarting = s.supervisor.restart('db');
    await waitFor('db stopping', () => s.state('db') === 'stopping');
    s.lifecycle('api').last!.exit({ code: 1, signal: null });
    await waitFor('api waiting for db', () => s.state('api') === 'pending');
    expect(s.supervisor.component('api')!.reason).toBe('waiting for "db" (started)');
    await restarting;
    await waitFor('api after db is back', () => s.state('api') === 'running');
    expect(s.order).toEqual(['start db', 'start api', 'start db', 'start api']);
    expect(s.lifecycle('db').maxAlive).toBe(1);
    expect(s.lifecycle('api').maxAlive).toBe(1);
  });

  it('a start command racing a waiting crash restart never makes two copies', async () => {
    const s = setup({ db: {}, api: { depends_on: ['db'], restart: { backoff: { initial: '1ms', max: '1ms' } } } });
    await s.supervisor.startAll();
    await s.supervisor.stop('db');
    s.lifecycle('api').last!.exit({ code: 1, signal: null });
    await waitFor('api waiting', () => s.state('api') === 'pending');
    await Promise.all([s.supervisor.start('api'), s.supervisor.start('db'), s.supervisor.start('api'), s.supervisor.restart('api')]);
    await waitFor('api running', () => s.state('api') === 'running');
    expect(s.lifecycle('api').alive).toBe(1);
    expect(s.lifecycle('api').maxAlive).toBe(1);
  });
});

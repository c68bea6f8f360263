import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor } from '../../../src/supervisor/supervisor.js';
import type { HealthWatchOptions, StartHealthWatch } from '../../../src/supervisor/health-watch.js';
import { FakeLifecycle } from './fake-lifecycle.js';
import { corralConfig, recordingBus } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// The supervisor's decisions for `health.on_failure: restart` (real processes: test/integration/everyday/liveness.test.ts).

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stopAll(5000)));
});

function setup(web: Record<string, unknown>) {
  const rec = recordingBus();
  const watches: HealthWatchOptions[] = [];
  const startHealthWatch: StartHealthWatch = (opts) => {
    watches.push(opts);
    return { stop: () => {} };
  };
  const supervisor = createSupervisor({ bus: rec.bus, config: corralConfig({ web }), resolveLifecycle: async () => new FakeLifecycle(), startHealthWatch });
  supervisors.push(supervisor);
  return { ...rec, supervisor, watches, web: () => supervisor.component('web')! };
}

const probe = { tcp: '1', on_failure: 'restart' };
const fast = { backoff: { initial: '1ms', max: '1ms' }, max_restarts: 2, window: '60s' };

describe('health.on_failure: restart', () => {
  it('counts toward max_restarts: the third within the window ends failed with CMP002', async () => {
    const s = setup({ health: probe, restart: fast });
    await s.supervisor.startAll();
    for (let gen = 1; gen <= 3; gen++) {
      await waitFor(`generation ${gen} running`, () => s.web().generation === gen && s.web().state === 'running' && s.watches.length === gen);
      const w = s.watches[gen - 1]!;
      w.onStatus('healthy', 'ok', false);
      w.onStatus('unhealthy', 'connection refused', false);
      await s.web().idle();
    }
    await waitFor('web failed', () => s.web().state === 'failed');
    expect(s.web().reason).toMatch(/crash loop/);
    expect(s.web().restarts).toBe(2);
  });

  it('never before it was healthy, and not with on_failure: alert', async () => {
    const s = setup({ health: probe, restart: fast });
    await s.supervisor.startAll();
    s.watches[0]!.onStatus('unhealthy', 'refused', false);
    await s.web().idle();
    expect(s.web().state).toBe('unhealthy');
    expect(s.web().generation).toBe(1);

    const a = setup({ health: { tcp: '1' }, restart: fast });
    await a.supervisor.startAll();
    a.watches[0]!.onStatus('healthy', 'ok', false);
    a.watches[0]!.onStatus('unhealthy', 'refused', false);
    await a.web().idle();
    expect(a.web().state).toBe('unhealthy');
    expect(a.web().generation).toBe(1);
  });

  it('a reload that turns on_failure on applies to the running generation, its probe kept', async () => {
    const s = setup({ health: { tcp: '1' }, restart: fast });
    await s.supervisor.startAll();
    s.watches[0]!.onStatus('healthy', 'ok', false);
    await s.supervisor.applyPlan(corralConfig({ web: { health: probe, restart: fast } }), { added: [], removed: [], restarted: [], updated: ['web'] });
    expect(s.watches).toHaveLength(1);
    expect(s.web().state).toBe('healthy');
    s.watches[0]!.onStatus('unhealthy', 'refused', false);
    await waitFor('web restarted', () => s.web().generation === 2);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { listGroupMembers } from '../../../src/runners/process/index.js';
import { alive, fixture, harness, type Harness } from './harness.js';
import { waitFor } from '../../helpers/wait-for.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

describe('supervisor faults with real processes', () => {
  it('exits at once 1,000 times → backoff grows to its cap, then failed with CMP002', async () => {
    h = harness({
      crasher: {
        command: ['sh', fixture('exit-at-once.sh'), '3'],
        restart: { backoff: { initial: '1ms', max: '4ms', jitter: 0 }, max_restarts: 999, window: '10m' },
      },
      bystander: { command: ['sleep', '1000'] },
    });
    await h.supervisor.startAll();
    const crasher = h.supervisor.component('crasher')!;
    await waitFor('the crash loop to fail', () => crasher.state === 'failed', 110_000);
    const stopped = h.of('component.stopped', 'crasher');
    expect(stopped).toHaveLength(1000);
    expect(h.of('component.started', 'crasher')).toHaveLength(1000);
    expect(stopped.map((e) => e.payload.generation)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(stopped.slice(0, 999).every((e) => e.payload.reason === 'crashed' && e.payload.exit_code === 3)).toBe(true);
    const delays = stopped.slice(0, 999).map((e) => e.payload.next_restart_in_ms as number);
    expect(delays.slice(0, 6)).toEqual([1, 2, 4, 4, 4, 4]);
    expect(Math.max(...delays)).toBe(4);
    expect(stopped.at(-1)!.payload).toMatchObject({ reason: 'failed', next_restart_in_ms: null, restarts: 999 });
    expect(h.of('error.CMP002', 'crasher')).toHaveLength(1);
    expect(crasher.reason).toMatch(/crash loop: more than 999 restarts/);
    // The other component was never disturbed.
    expect(h.supervisor.component('bystander')!.generation).toBe(1);
    expect(h.supervisor.component('bystander')!.state).toBe('running');
  }, 120_000);

  it('ignores SIGTERM → SIGKILLed after the stop timeout, reported as killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-sup-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'out');
    // exec: the shell becomes node, whose "ready" (printed once its trap is set) lands in a file the test can read.
    h = harness({
      stubborn: { command: `exec node ${fixture('ignore-sigterm.js')} > ${out}`, shell: true, stop: { timeout: '300ms' } },
    });
    await h.supervisor.startAll();
    const pid = h.supervisor.component('stubborn')!.pid!;
    await waitFor('the SIGTERM trap', () => existsSync(out) && readFileSync(out, 'utf8').includes('ready'));
    await h.supervisor.stop('stubborn');
    expect(h.of('component.stopped', 'stubborn')[0]!.payload).toMatchObject({ reason: 'killed', signal: 'SIGKILL', pid });
    expect(alive([pid])).toEqual([]);
    expect(h.supervisor.component('stubborn')!.state).toBe('stopped');
  });

  it('forks grandchildren → none left after stop, after restart, after stopAll', async () => {
    h = harness({ forker: { command: ['sh', fixture('spawn-grandchildren.sh')] }, other: { command: ['sh', fixture('spawn-grandchildren.sh')] } });
    await h.supervisor.startAll();
    const forker = h.supervisor.component('forker')!;
    const members = async () => {
      let m: number[] = [];
      await waitFor('sh and its two sleeps', () => (m = listGroupMembers(forker.pid!)).length === 3);
      return m;
    };
    const first = await members();
    await h.supervisor.stop('forker');
    expect(alive(first)).toEqual([]);

    await h.supervisor.start('forker');
    const second = await members();
    await h.supervisor.restart('forker');
    expect(alive(second)).toEqual([]);
    const third = await members();
    expect(forker.generation).toBe(3);

    await waitFor('other forked', () => listGroupMembers(h!.supervisor.component('other')!.pid!).length === 3);
    const others = listGroupMembers(h.supervisor.component('other')!.pid!);
    expect(await h.supervisor.stopAll(5000)).toEqual({ blocked: [] });
    expect(alive([...third, ...others])).toEqual([]);
  });

  it('a command that does not exist → failed with the OS error, the others run', async () => {
    h = harness({ ghost: { command: 'definitely-not-a-command-xyz --flag' }, fine: { command: ['sleep', '1000'] } });
    await h.supervisor.startAll();
    const ghost = h.supervisor.component('ghost')!;
    expect(ghost.state).toBe('failed');
    expect(ghost.reason).toMatch(/ENOENT/);
    expect(ghost.reason).toMatch(/definitely-not-a-command-xyz/);
    expect(h.of('error.CMP002', 'ghost')[0]!.payload.error_message).toMatch(/ENOENT/);
    expect(h.supervisor.component('fine')!.state).toBe('running');
    expect(h.supervisor.statuses()).toEqual({ ghost: 'failed', fine: 'healthy' });
  });

  it('50 concurrent restart requests → exactly one process running at the end, never two at once', async () => {
    h = harness({ web: { command: ['sleep', '1000'] } });
    await h.supervisor.startAll();
    const web = h.supervisor.component('web')!;
    let maxAlive = 0;
    const unsubscribe = web.onChange(() => {
      maxAlive = Math.max(maxAlive, alive(h!.pgids).length);
    });
    const burst = Array.from({ length: 50 }, () => h!.supervisor.restart('web'));
    // A second wave arriving while the first restart runs.
    await new Promise((r) => setTimeout(r, 5));
    burst.push(...Array.from({ length: 50 }, () => h!.supervisor.restart('web')));
    await Promise.all(burst);
    unsubscribe();
    const live = alive(h.pgids);
    expect(live).toEqual([web.pid]);
    expect(maxAlive).toBe(1);
    expect(web.state).toBe('running');
    expect(h.of('component.started', 'web').length).toBe(web.generation);
  });
});


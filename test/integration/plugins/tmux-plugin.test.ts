import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import type { Bus, BusEntry } from '../../../src/bus/types.js';
import { ComponentSchema } from '../../../src/config/schema.js';
import { createLifecycle } from '../../../src/plugins/context.js';
import { loadPlugin } from '../../../src/plugins/loader.js';
import type { ComponentLifecycle, Instance, Logger } from '../../../src/plugins/types.js';
import { runProcess } from '../../../src/runners/process/index.js';
import { runPty } from '../../../src/runners/pty/index.js';
import { runTmux } from '../../../src/runners/tmux/run-tmux.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { waitFor } from '../../helpers/wait-for.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The built-in `tmux` plugin as the daemon runs it: events on a real bus, from tmux's control mode. */
describe('built-in tmux plugin', () => {
  let socket: string;
  let dir: string;
  let bus: Bus;
  let seen: BusEntry['event'][];
  const lifecycles: ComponentLifecycle[] = [];
  const instances: Instance[] = [];
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

  beforeEach(() => {
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
    dir = mkdtempSync(join(tmpdir(), 'corral-tmux-plugin-'));
    bus = createBus();
    seen = [];
    bus.subscribe({ event_type: 'tmux.*' }, (e) => seen.push(e.event));
  });
  afterEach(async () => {
    await Promise.allSettled(instances.splice(0).map((i) => i.stop('SIGKILL', 1000)));
    await Promise.allSettled(lifecycles.splice(0).reverse().map((l) => l.dispose?.()));
    killTestTmuxServer(socket);
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(name: string, entry: Record<string, unknown>): Promise<Instance> {
    const full = { plugin: 'tmux', ...entry };
    const lifecycle = await createLifecycle({
      name,
      component: ComponentSchema.parse(full),
      plugin: await loadPlugin('tmux', { configDir: dir }),
      pluginConfig: {},
      bus,
      stateDir: join(dir, '.corral'),
      configDir: dir,
      logger: quiet,
      runners: { process: runProcess, pty: (r) => runPty({ ...r, stateDir: dir }), tmux: (r) => runTmux({ ...r, socket }) },
    });
    lifecycles.push(lifecycle);
    const instance = await lifecycle.start();
    instances.push(instance);
    return instance;
  }

  const windowEvents = () =>
    seen.filter((e) => e.event_type === 'tmux.window.changed').map((e) => ({ change: e.payload.change, name: e.payload.window.name, component: e.payload.component }));

  it('announces each session once, marks its components\' windows, and reports windows opened by hand', async () => {
    await start('agent', { command: 'sleep 60', session: 'eco' });
    await waitFor('the control client', () => tmux('list-clients', '-F', '#{client_control_mode}').includes('1'));
    const shell = await start('shell', { command: 'sleep 60', session: 'eco', window: 'sh' });
    await waitFor('the shell window', () => windowEvents().some((e) => e.change === 'added' && e.name === 'sh'));
    expect(windowEvents().find((e) => e.name === 'sh')).toEqual({ change: 'added', name: 'sh', component: 'shell' });

    // A second session on the same server: the runner and the first session's watch both see it, one event results.
    await start('other', { command: 'sleep 60', session: 'side' });
    tmux('new-window', '-d', '-t', '=eco:', '-n', 'by-hand', 'sleep 60');
    await waitFor('the hand-made window', () => windowEvents().some((e) => e.name === 'by-hand'));
    const created = seen.filter((e) => e.event_type === 'tmux.session.created');
    expect(created.map((e) => e.payload.session)).toEqual(['eco', 'side']);
    expect(created[0]).toMatchObject({ source: 'corral', session_id: bus.sessionId, payload: { window: { name: 'agent' }, change: 'added', component: 'agent' } });
    expect(windowEvents().find((e) => e.name === 'by-hand')?.component).toBeUndefined();
    // Every component window is announced exactly once, whether the runner or the watch saw it first.
    expect(windowEvents().filter((e) => e.change === 'added').map((e) => e.name)).toEqual(['sh', 'by-hand']);

    await shell.stop('SIGTERM', 5000);
    await waitFor('the closed window', () => windowEvents().some((e) => e.change === 'closed' && e.name === 'sh'));
    expect(windowEvents().find((e) => e.change === 'closed')).toEqual({ change: 'closed', name: 'sh', component: 'shell' });
  });

  it('removes the session when the last of its components is disposed', async () => {
    await start('one', { command: 'sleep 60', session: 'eco' });
    await start('two', { command: 'sleep 60', session: 'eco' });
    const [first, second] = lifecycles;
    await first!.dispose!();
    expect(tmux('has-session', '-t', '=eco')).toBe('');
    await second!.dispose!();
    expect(() => tmux('has-session', '-t', '=eco')).toThrow();
  });

  it('gives plugins tmuxKillSession in ctx.runners', async () => {
    const plugin = {
      name: 'keeper',
      configSchema: (await import('zod')).z.strictObject({ keep_session: (await import('zod')).z.boolean().default(false) }),
      create: (ctx: import('../../../src/plugins/types.js').PluginContext, config: { keep_session: boolean }) => ({
        start: () => ctx.runners.tmux({ name: ctx.name, command: 'sleep 60', session: 'kept', socket }),
        dispose: async () => {
          if (!config.keep_session) await ctx.runners.tmuxKillSession!('kept', socket);
        },
      }),
    };
    const lifecycle = await createLifecycle({
      name: 'k',
      component: ComponentSchema.parse({ plugin: 'keeper' }),
      plugin: plugin as never,
      pluginConfig: {},
      bus,
      stateDir: join(dir, '.corral'),
      configDir: dir,
      logger: quiet,
      runners: { process: runProcess, pty: (r) => runPty({ ...r, stateDir: dir }), tmux: (r) => runTmux({ ...r, socket }) },
    });
    lifecycles.push(lifecycle);
    instances.push(await lifecycle.start());
    // A window opened by hand would keep the session alive after the component's own window closed.
    tmux('new-window', '-d', '-t', '=kept:', 'sleep 60');
    await lifecycle.dispose!();
    expect(() => tmux('has-session', '-t', '=kept')).toThrow();
  });

  it('fails to start with a clear error when the entry has no command', async () => {
    await expect(start('empty', { session: 'eco' })).rejects.toThrow('component "empty": plugin "tmux" needs a "command"');
  });
});

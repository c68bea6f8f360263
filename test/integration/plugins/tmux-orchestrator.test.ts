import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginHarness } from './plugin-harness.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { waitFor } from '../../helpers/wait-for.js';

let h: PluginHarness;
let socket: string;
afterEach(async () => {
  await h?.close();
  killTestTmuxServer(socket);
});

function tmux(...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '' };
}

describe('tmux-orchestrator plugin', () => {
  it('creates a session with its configured windows, reports tmux events, and removes the session on stop', async () => {
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
    h = new PluginHarness();
    const life = await h.lifecycle('tmux', {
      plugin: 'tmux-orchestrator',
      session: 'orch',
      socket,
      windows: [{ name: 'work', command: 'sleep 300' }, { name: 'shell' }, { name: 'dev', command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] }],
    });
    const inst = await h.start(life);
    expect(inst.attach).toEqual({ kind: 'tmux', socket, session: 'orch', window: 'work' });
    expect(tmux('list-windows', '-t', '=orch', '-F', '#{window_name}').out.trim().split('\n')).toEqual(['work', 'shell', 'dev']);
    expect(inst.pids()).toHaveLength(3);
    expect(await life.health!()).toMatchObject({ ok: true });

    // tmux's own notifications reach the bus: the session, and a window a user opens by hand.
    await waitFor('tmux.session.created', () => h.events('tmux.session.created').some((e) => e.payload.session === 'orch'));
    // The watch sees what tmux tells its control client: wait until tmux has that client attached.
    await waitFor('the control client', () => tmux('list-clients', '-F', '#{client_control_mode}').out.includes('1'));
    execFileSync('tmux', ['-L', socket, 'new-window', '-d', '-t', '=orch:', '-n', 'by-hand']);
    await waitFor('tmux.window.changed for the window opened by hand', () =>
      h.events('tmux.window.changed').some((e) => JSON.stringify(e.payload).includes('by-hand') && e.payload.change === 'added'),
    );

    await inst.stop('SIGTERM', 3000);
    expect(tmux('has-session', '-t', '=orch').ok).toBe(false);
    expect((await life.health!()).ok).toBe(false);
  });

  it('leaves the session running on stop with keep_session', async () => {
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
    h = new PluginHarness();
    const life = await h.lifecycle('tmux', { plugin: 'tmux-orchestrator', session: 'kept', socket, keep_session: true, windows: [{ name: 'w', command: 'sleep 300' }] });
    const inst = await h.start(life);
    await inst.stop('SIGTERM', 3000);
    expect(tmux('has-session', '-t', '=kept').ok).toBe(true);
    expect((await life.health!()).ok).toBe(true);
  });

  it('refuses a command of its own, naming the path', async () => {
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
    h = new PluginHarness();
    await expect(h.lifecycle('tmux', { plugin: 'tmux-orchestrator', command: 'sleep 1' })).rejects.toThrow(/components\.tmux\.command: tmux-orchestrator runs no command/);
  });

  it('refuses a window list with duplicate names, naming the path', async () => {
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
    h = new PluginHarness();
    await expect(h.lifecycle('tmux', { plugin: 'tmux-orchestrator', windows: [{ name: 'a' }, { name: 'a' }] })).rejects.toThrow(/components\.tmux\.windows: window names must be unique/);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/plugins/types.js';
import { runTmux } from '../../../src/runners/tmux/run-tmux.js';
import { killTmuxSession, OWNER_OPTION, ownerTag } from '../../../src/runners/tmux/leftovers.js';
import { listTmuxWindows } from '../../../src/runners/tmux/tmux-command.js';
import { acquireTmuxWatch, type TmuxWatchHandle } from '../../../src/runners/tmux/watch.js';
import { alive } from './runner-helpers.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { waitFor } from '../../helpers/wait-for.js';

// What the watch hands up (src/schema/payloads.ts OwnEvent), read loosely; the bus adds `source: corral` (publishOwnEvent).
type Published = { event_type: string; payload: Record<string, unknown> };

describe('tmux runner', () => {
  let socket: string;
  const started: Instance[] = [];
  const watches: TmuxWatchHandle[] = [];
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

  beforeEach(() => {
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    watches.splice(0).forEach((w) => w.release());
    await Promise.allSettled(started.splice(0).map((i) => i.stop('SIGKILL', 1000)));
    killTestTmuxServer(socket);
  });

  async function run(name: string, command: string | string[], session = 'eco'): Promise<Awaited<ReturnType<typeof runTmux>>> {
    const instance = await runTmux({ name, command, session, socket });
    started.push(instance);
    return instance;
  }

  it('creates the session with the window, then adds windows to it; stop ends the process and its window', async () => {
    const first = await run('agent', 'sleep 60');
    expect(first.sessionCreated).toBe(true);
    expect(first.attach).toEqual({ kind: 'tmux', socket, session: 'eco', window: first.windowId });
    const second = await run('shell', ['sh', '-c', 'sleep 60']);
    expect(second.sessionCreated).toBe(false);

    const windows = await listTmuxWindows(socket);
    expect(windows.map((w) => [w.session, w.name])).toEqual([
      ['eco', 'agent'],
      ['eco', 'shell'],
    ]);
    expect(tmux('display-message', '-p', '-t', first.windowId, '#{pane_pid}').trim()).toBe(String(first.pid));
    expect(alive(first.pid!)).toBe(true);

    const info = await first.stop('SIGTERM', 5000);
    expect(info.signal).toBe('SIGTERM');
    expect(alive(first.pid!)).toBe(false);
    expect((await listTmuxWindows(socket)).map((w) => w.name)).toEqual(['shell']);
  });

  it('refuses a cwd that does not exist (tmux would start the window elsewhere), opening no window', async () => {
    await expect(runTmux({ name: 'lost', command: 'sleep 60', session: 'eco', socket, cwd: '/nonexistent/corral' })).rejects.toThrow(
      'cwd /nonexistent/corral does not exist',
    );
    expect(spawnSync('tmux', ['-L', socket, 'has-session', '-t', '=eco']).status).not.toBe(0);
  });

  it('reports the exit code and closes the window when the command ends by itself', async () => {
    await run('keeper', 'sleep 60');
    // It lives a moment: a pane that ends within milliseconds can be gone before tmux applies
    // remain-on-exit, and then its status is lost (a known limit of the tmux runner).
    const quick = await run('quick', 'sh -c "sleep 0.5; exit 4"');
    const info = await quick.exited;
    // tmux 3.3a marks some dead panes without recording their status; the end is still reported.
    expect(info.signal).toBeNull();
    expect([4, null]).toContain(info.code);
    await waitFor('the window to close', async () => !(await listTmuxWindows(socket)).some((w) => w.name === 'quick'));
  });

  it('SIGKILLs a pane process that ignores the stop signal', async () => {
    const stubborn = await run('stubborn', ['sh', '-c', 'trap "" TERM HUP; echo ready; while :; do sleep 1; done']);
    await waitFor('the trap to be set', () => tmux('capture-pane', '-p', '-t', stubborn.windowId).includes('ready'));
    const info = await stubborn.stop('SIGTERM', 300);
    expect(info.killed).toBe(true);
    expect(alive(stubborn.pid!)).toBe(false);
  });

  it('an interactive shell (it ignores SIGTERM) ends on the SIGHUP that follows, not by SIGKILL after the timeout', async () => {
    const shell = await run('shell', ['bash', '--norc', '--noprofile', '-i']);
    await waitFor('the shell prompt', () => tmux('capture-pane', '-p', '-t', shell.windowId).trim().length > 0);
    const info = await shell.stop('SIGTERM', 20_000);
    expect(info.killed ?? false).toBe(false);
    expect(alive(shell.pid!)).toBe(false);
  });

  it('publishes window changes made by hand, and new sessions, from control mode', async () => {
    await run('agent', 'sleep 60');
    const seen: Published[] = [];
    watches.push(acquireTmuxWatch({ socket, session: 'eco', publish: (e) => void seen.push(e as unknown as Published) }));
    // The watch is live once tmux has the control client attached.
    await waitFor('the control client', () => tmux('list-clients', '-F', '#{client_control_mode}').includes('1'));

    const changes = () => seen.filter((e) => e.event_type === 'tmux.window.changed').map((e) => [e.payload.change, (e.payload.window as { name: string }).name]);
    tmux('new-window', '-d', '-t', 'eco:', '-n', 'by-hand', 'sleep 60');
    await waitFor('added', () => changes().some(([c, n]) => c === 'added' && n === 'by-hand'));
    tmux('rename-window', '-t', 'eco:by-hand', 'renamed');
    await waitFor('renamed', () => changes().some(([c, n]) => c === 'renamed' && n === 'renamed'));
    tmux('select-window', '-t', 'eco:renamed');
    await waitFor('selected', () => changes().some(([c, n]) => c === 'selected' && n === 'renamed'));
    tmux('kill-window', '-t', 'eco:renamed');
    await waitFor('closed', () => changes().some(([c, n]) => c === 'closed' && n === 'renamed'));

    tmux('new-session', '-d', '-s', 'other', '-n', 'first', 'sleep 60');
    const created = await waitFor('session created', () => seen.find((e) => e.event_type === 'tmux.session.created'));
    expect(created).toMatchObject({ payload: { session: 'other', window: { index: 0, name: 'first' }, change: 'added' } });
    const added = seen.find((e) => e.payload.change === 'added');
    expect(added?.payload).toMatchObject({ session: 'eco', window: { name: 'by-hand' } });
  });

  it('a window opened and selected by hand is reported added before selected; the last window of the session closing is reported closed', async () => {
    await run('agent', 'sleep 60', 'solo');
    const seen: Published[] = [];
    watches.push(acquireTmuxWatch({ socket, session: 'solo', publish: (e) => void seen.push(e as unknown as Published) }));
    await waitFor('the control client', () => tmux('list-clients', '-F', '#{client_control_mode}').includes('1'));
    const changes = () => seen.filter((e) => e.event_type === 'tmux.window.changed').map((e) => `${String(e.payload.change)} ${(e.payload.window as { name: string }).name}`);

    // Without -d, new-window selects the window too.
    tmux('new-window', '-t', 'solo:', '-n', 'picked', 'sleep 60');
    await waitFor('selected', () => changes().includes('selected picked'));
    expect(changes().filter((c) => c.endsWith(' picked'))).toEqual(['added picked', 'selected picked']);

    // Closing every window ends the session: tmux sends no %window-close for them.
    tmux('kill-session', '-t', 'solo');
    await waitFor('both closed', () => changes().includes('closed picked') && changes().includes('closed agent'));
  });

  it('killTmuxSession removes the session, ends what ignores SIGHUP in it, and removes the socket file with the last session', async () => {
    const kept = await run('kept', 'sleep 60', 'other');
    const agent = await run('agent', ['sh', '-c', "trap '' HUP; exec sleep 60"], 'gone');
    const path = tmux('display-message', '-p', '#{socket_path}').trim();
    expect(await killTmuxSession(socket, 'gone')).toBe(true);
    expect(alive(agent.pid!)).toBe(false);
    // Another session still runs on the server: its socket stays.
    expect(existsSync(path)).toBe(true);
    expect(await killTmuxSession(socket, 'gone')).toBe(false);
    expect(await killTmuxSession(socket, 'other')).toBe(true);
    expect(alive(kept.pid!)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it('ends what a corral that is gone left in the session (processes, then windows) and leaves other windows alone', async () => {
    // A corral process that has ended: its pid names no running process.
    const dead = spawnSync('true').pid!;
    await waitFor('the dead pid gone', () => !alive(dead));
    const stalePids: number[] = [];
    // Its windows: one with the name the new component takes, one of a component since removed. The
    // first ignores SIGHUP (what closing its window sends) and SIGTERM: only the SIGKILL after the grace ends it.
    const left = [
      ['new-session', '-d', '-s', 'eco', '-n', 'agent', '-P', '-F', '#{pane_pid}', 'sh', '-c', "trap '' HUP TERM; exec sleep 60"],
      ['new-window', '-d', '-t', '=eco:', '-n', 'removed-since', '-P', '-F', '#{pane_pid}', 'sleep 60'],
    ];
    for (const args of left) {
      stalePids.push(Number(tmux(...args).trim()));
      const name = args[args.indexOf('-n') + 1]!;
      tmux('set-option', '-w', '-t', `=eco:${name}`, 'remain-on-exit', 'on');
      tmux('set-option', '-w', '-t', `=eco:${name}`, OWNER_OPTION, `${dead}:1`);
    }
    tmux('new-window', '-d', '-t', '=eco:', '-n', 'by-hand', 'sleep 60');
    tmux('new-window', '-d', '-t', '=eco:', '-n', 'live', 'sleep 60');
    tmux('set-option', '-w', '-t', '=eco:live', OWNER_OPTION, ownerTag());
    expect(stalePids.every(alive)).toBe(true);

    const agent = await run('agent', 'sleep 60');
    expect(agent.sessionCreated).toBe(false);
    expect(stalePids.filter(alive)).toEqual([]);
    expect((await listTmuxWindows(socket)).map((w) => w.name).sort()).toEqual(['agent', 'by-hand', 'live']);
    expect(tmux('show-options', '-wv', '-t', agent.windowId, OWNER_OPTION).trim()).toBe(ownerTag());
  });
});

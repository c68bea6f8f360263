import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, processesWithMarker, project, ps, running } from './helpers.js';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';

// A daemon killed with SIGKILL leaves its tmux windows on the project's tmux server. The next
// `corral up` must end them (the processes in their panes too) rather than pile new windows
// beside them, and `corral down` must leave neither the tmux server nor its socket file.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});


/**
 * A pane process that holds a port, ignores SIGHUP (what closing its window sends) and answers
 * with its pid: a new generation that cannot bind the port dies, so the answer names who holds it.
 */
function serverCommand(port: number): string[] {
  const js = `process.on('SIGHUP', () => {}); require('http').createServer((q, s) => s.end(String(process.pid))).listen(${port}, '127.0.0.1')`;
  return [process.execPath, '-e', js];
}

function tmux(socket: string, ...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '' };
}

/** Test cleanup: whatever this test started still running (kept on purpose, or left by a failure), the tmux server, its socket file. */
function killServer(socket: string, path: string, marker: string, serverPid: number): void {
  for (const pid of processesWithMarker(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  tmux(socket, 'kill-server');
  // A server that did not answer kill-server (a loaded machine) is ended by its pid: this test started it.
  if (serverPid > 0 && running(serverPid)) {
    try {
      process.kill(serverPid, 'SIGKILL');
    } catch {}
  }
  rmSync(path, { force: true });
}

const windowNames = (socket: string, session: string) =>
  tmux(socket, 'list-windows', '-t', `=${session}`, '-F', '#{window_name}').out.trim().split('\n').filter(Boolean);

async function whoServes(port: number): Promise<number | null> {
  try {
    return Number(await (await fetch(`http://127.0.0.1:${port}/`)).text());
  } catch {
    return null;
  }
}

/** Kills the daemon as a crash would, and waits until it is gone. */
async function crashDaemon(dir: string): Promise<void> {
  const daemon = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number };
  process.kill(daemon.pid, 'SIGKILL');
  await waitFor('the daemon gone', () => running(daemon.pid), (alive) => !alive);
  // The process-group record is written a moment after each change: a daemon killed in between never
  // wrote it. Without it only what corral left in tmux can tell the next daemon what to end.
  writeFileSync(join(dir, '.corral', 'groups.json'), '[]');
}

/** The project's tmux server, as `corral ps --json` names it, with its socket file. */
async function tmuxServerOf(dir: string, name: string): Promise<{ socket: string; path: string; serverPid: number }> {
  const row = (await ps(dir)).find((c) => c.name === name);
  const attach = row?.attach;
  if (attach?.kind !== 'tmux' || !attach.socket) throw new Error(`no tmux socket in corral ps for ${name}: ${JSON.stringify(row)}`);
  const [path = '', pid = '0'] = tmux(attach.socket, 'display-message', '-p', '#{socket_path}\t#{pid}').out.trim().split('\t');
  return { socket: attach.socket, path, serverPid: Number(pid) };
}

describe('tmux windows left by a daemon that was SIGKILLed', () => {
  it('the next up ends the old window and its process (port freed), keeps one window per component; down removes the server and its socket', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const port = await freePort();
    const p = project(`version: 1
bus: { port: 0 }
components:
  srv:
    plugin: tmux
    session: work
    command: ${JSON.stringify(serverCommand(port))}
    env: { MARK: "${marker}" }
    health: { http: "http://127.0.0.1:${port}/", interval: 200ms, timeout: 1s }
`);
    cleanups.push(p.cleanup);

    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const first = (await waitFor('srv healthy', () => ps(p.dir), (l) => l.some((c) => c.name === 'srv' && c.state === 'healthy'))).find((c) => c.name === 'srv')!;
    const { socket, path, serverPid } = await tmuxServerOf(p.dir, 'srv');
    cleanups.unshift(() => killServer(socket, path, marker, serverPid)); // runs last, after `down`
    expect(await whoServes(port)).toBe(first.pid);
    expect(existsSync(path)).toBe(true);

    await crashDaemon(p.dir);
    // What the dead daemon left: its window, its process still holding the port.
    expect(windowNames(socket, 'work')).toEqual(['srv']);
    expect(running(first.pid!)).toBe(true);

    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const second = (await waitFor('srv healthy again', () => ps(p.dir), (l) => l.some((c) => c.name === 'srv' && c.state === 'healthy'))).find((c) => c.name === 'srv')!;
    expect(second.pid).not.toBe(first.pid);
    expect(running(first.pid!)).toBe(false);
    expect(windowNames(socket, 'work')).toEqual(['srv']);
    // The new generation holds the port: the old process let go of it.
    expect(await whoServes(port)).toBe(second.pid);
    expect(processesWithMarker(marker)).toEqual([second.pid]);

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
    expect(tmux(socket, 'list-sessions').ok).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it('tmux-orchestrator with keep_session: the next up replaces the windows corral left and keeps those opened by hand', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const port = await freePort();
    const p = project(`version: 1
bus: { port: 0 }
components:
  orch:
    plugin: tmux-orchestrator
    session: kept
    keep_session: true
    env: { MARK: "${marker}" }
    windows:
      - { name: srv, command: ${JSON.stringify(serverCommand(port))} }
      - { name: idle, command: ["sleep", "600"] }
`);
    cleanups.push(p.cleanup);

    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    await waitFor('orch running', () => ps(p.dir), (l) => l.some((c) => c.name === 'orch' && (c.state === 'running' || c.state === 'healthy')));
    const { socket, path, serverPid } = await tmuxServerOf(p.dir, 'orch');
    // keep_session leaves the session to its user: the cleanup ends what this test started in it.
    cleanups.unshift(() => killServer(socket, path, marker, serverPid)); // runs last, after `down`
    const old = await waitFor('the server window answering', () => whoServes(port), (pid) => pid !== null);
    const oldPids = processesWithMarker(marker);
    expect(oldPids).toHaveLength(2);

    await crashDaemon(p.dir);
    expect(tmux(socket, 'new-window', '-d', '-t', '=kept:', '-n', 'by-hand', 'sleep 600').ok).toBe(true);

    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    await waitFor('orch running again', () => ps(p.dir), (l) => l.some((c) => c.name === 'orch' && (c.state === 'running' || c.state === 'healthy')));
    expect(oldPids.filter(running)).toEqual([]);
    expect(windowNames(socket, 'kept').sort()).toEqual(['by-hand', 'idle', 'srv']);
    const now = await waitFor('the new server window answering', () => whoServes(port), (pid) => pid !== null && pid !== old);
    expect(processesWithMarker(marker)).toContain(now);

    // keep_session: down leaves the session, its server and socket, to the user.
    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(windowNames(socket, 'kept').sort()).toEqual(['by-hand', 'idle', 'srv']);
    expect(existsSync(path)).toBe(true);
  });
});

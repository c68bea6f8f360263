import { lstatSync, realpathSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessRunning, processStartTicks, signalGroup, waitGroupGone } from '../process/group.js';
import { tmuxCommand, tmuxRows } from './tmux-command.js';

/**
 * What a daemon that died leaves in tmux, and how corral ends it.
 *
 * Every window corral opens carries the window option `@corral_owner`: the
 * pid and start time of the corral process that opened it. A window whose
 * owner no longer runs was left by a daemon that died (SIGKILL, a crash, a
 * reboot of corral without `corral down`). The next start ends the processes
 * in its panes (the pane's process group: SIGHUP and SIGTERM, then SIGKILL
 * after a grace period) and closes the window, so nothing piles up and no
 * orphan keeps a port. Windows without the option (opened by hand) are left
 * alone; so are windows of a corral that still runs.
 */

/** The window option naming the corral process that opened the window (`PID:START_TICKS`). */
export const OWNER_OPTION = '@corral_owner';

/** How long a stale pane's processes get between the polite signals and SIGKILL. */
export const STALE_GRACE_MS = 3000;

let ownTag: string | null = null;

/** This process's owner tag: its pid and start time, so a reused pid never passes for it. */
export function ownerTag(): string {
  ownTag ??= `${process.pid}:${processStartTicks(process.pid) ?? ''}`;
  return ownTag;
}

/** True while the corral process a tag names still runs (a tag that cannot be read counts as alive: not ours to judge). */
export function ownerAlive(tag: string): boolean {
  const [pidText = '', ticksText = ''] = tag.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (!isProcessRunning(pid)) return false;
  const ticks = processStartTicks(pid);
  return ticksText === '' || ticks === null || ticks === Number(ticksText);
}

interface Pane {
  session: string;
  windowId: string;
  pid: number;
  dead: boolean;
  owner: string;
  socketPath: string;
}

/** The panes of one session, or of the whole server without one ([] when there is none or no server runs). */
async function listPanes(socket: string, session?: string): Promise<Pane[]> {
  const scope = session === undefined ? ['-a'] : ['-s', '-t', `=${session}`];
  // The session name goes last: it may hold tabs.
  const rows = await tmuxRows(socket, ['list-panes', ...scope, '-F', `#{window_id}\t#{pane_pid}\t#{pane_dead}\t#{${OWNER_OPTION}}\t#{socket_path}\t#{session_name}`]);
  return rows.map(([windowId = '', pid = '', dead = '', owner = '', socketPath = '', ...name]) => ({
    windowId,
    pid: Number(pid),
    dead: dead === '1',
    owner,
    socketPath,
    session: name.join('\t'),
  }));
}

/** A pane's process group, with its leader's start time so a reused pid is never signalled. */
interface PaneGroup {
  pgid: number;
  ticks: number | null;
}

function groupsOf(panes: Pane[]): PaneGroup[] {
  // A dead pane's process has been reaped: its pid may already belong to someone else.
  return panes.filter((p) => !p.dead && Number.isInteger(p.pid) && p.pid > 0).map((p) => ({ pgid: p.pid, ticks: processStartTicks(p.pid) }));
}

/** Signals the group unless its id now names another process (the leader was reaped and the pid reused). */
function signalOurs(g: PaneGroup, signal: NodeJS.Signals): void {
  const now = processStartTicks(g.pgid);
  if (now !== null && g.ticks !== null && now !== g.ticks) return;
  signalGroup(g.pgid, signal);
}

/** Ends pane process groups: `signals` to each, then SIGKILL to whatever is left after `graceMs`. */
async function endGroups(groups: PaneGroup[], signals: NodeJS.Signals[], graceMs: number): Promise<void> {
  for (const g of groups) for (const s of signals) signalOurs(g, s);
  const left = await Promise.all(groups.map(async (g) => ((await waitGroupGone(g.pgid, graceMs)) ? null : g)));
  const stubborn = left.filter((g): g is PaneGroup => g !== null);
  for (const g of stubborn) signalOurs(g, 'SIGKILL');
  await Promise.all(stubborn.map((g) => waitGroupGone(g.pgid, graceMs)));
}

/**
 * Ends the processes of every pane a dead corral left (in `session`, or on the
 * whole server) and returns their windows' ids, still open (a window corral
 * opened keeps its dead pane), for `closeTmuxWindows` once the caller has its
 * own window in place (so the session never empties meanwhile).
 */
export async function endStalePanes(socket: string, session?: string, graceMs = STALE_GRACE_MS): Promise<string[]> {
  return (await endStale(socket, session, graceMs)).windows;
}

async function endStale(socket: string, session: string | undefined, graceMs: number): Promise<{ windows: string[]; socketPath: string }> {
  const stale = (await listPanes(socket, session)).filter((p) => p.owner !== '' && !ownerAlive(p.owner));
  if (stale.length === 0) return { windows: [], socketPath: '' };
  await endGroups(groupsOf(stale), ['SIGHUP', 'SIGTERM'], graceMs);
  return { windows: [...new Set(stale.map((p) => p.windowId))], socketPath: stale[0]!.socketPath };
}

/** Closes windows by id; one already gone is not an error. */
export async function closeTmuxWindows(socket: string, windowIds: string[]): Promise<void> {
  for (const id of windowIds) await tmuxCommand(socket, ['kill-window', '-t', id]).catch(() => {});
}

/**
 * Ends everything a dead corral left on a tmux server: the processes of its
 * panes, then their windows; when that leaves the server without a session,
 * the server exits and its socket file is removed. Returns how many windows it closed.
 */
export async function endStaleTmuxWindows(socket: string, graceMs = STALE_GRACE_MS): Promise<number> {
  const { windows, socketPath } = await endStale(socket, undefined, graceMs);
  if (windows.length === 0) return 0;
  await closeTmuxWindows(socket, windows);
  await removeTmuxSocketIfUnused(socket, socketPath || (await tmuxSocketPath(socket)));
  return windows.length;
}

/**
 * Kills a session (for `corral down`, unless the config keeps it) and
 * everything in it, windows opened by hand included: tmux closes the panes' terminals
 * (SIGHUP), the process groups still there get SIGTERM, then SIGKILL after
 * `graceMs`. When no session is left on the server, the server exits and its
 * socket file is removed. Resolves false when the session did not exist.
 */
export async function killTmuxSession(socket: string, session: string, graceMs = STALE_GRACE_MS): Promise<boolean> {
  const panes = await listPanes(socket, session);
  const path = panes[0]?.socketPath || (await tmuxSocketPath(socket));
  const groups = groupsOf(panes);
  let existed = true;
  try {
    await tmuxCommand(socket, ['kill-session', '-t', `=${session}`]);
  } catch {
    existed = false;
  }
  if (groups.length > 0) await endGroups(groups, ['SIGTERM'], graceMs);
  await removeTmuxSocketIfUnused(socket, path);
  return existed;
}

/**
 * The socket file of `tmux -L label`: what the running server reports, else
 * where tmux puts it (`$TMUX_TMPDIR` or /tmp, then `tmux-UID/label`).
 */
export async function tmuxSocketPath(socket: string): Promise<string> {
  const reported = (await tmuxRows(socket, ['list-sessions', '-F', '#{socket_path}']))[0]?.join('\t');
  if (reported) return reported;
  const base = process.env.TMUX_TMPDIR || '/tmp';
  let dir = base;
  try {
    dir = realpathSync(base);
  } catch {}
  return join(dir, `tmux-${process.getuid?.() ?? 0}`, socket);
}

type SocketState = 'listening' | 'refused' | 'missing';

function probeSocket(path: string): Promise<SocketState> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve('listening');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.destroy();
      // Anything but a refusal or a missing file (a permission problem, say): leave the file alone.
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ENOENT' ? 'missing' : 'listening');
    });
  });
}

/**
 * Removes a tmux server's socket file once the server is gone (tmux leaves
 * it behind when it exits). Does nothing while the server has a session; a
 * server that is exiting gets `waitMs` to stop listening. The file is removed
 * only if no one listens on it and it is still the same file (a new server
 * replaces it with its own). Resolves true when it removed the file.
 */
export async function removeTmuxSocketIfUnused(socket: string, path: string, waitMs = 2000): Promise<boolean> {
  if ((await tmuxRows(socket, ['list-sessions', '-F', '#{session_id}'])).length > 0) return false;
  const inode = inodeOf(path);
  if (inode === null) return false;
  const deadline = Date.now() + waitMs;
  let delay = 5;
  for (;;) {
    const state = await probeSocket(path);
    if (state === 'missing') return false;
    if (state === 'refused') break;
    if (Date.now() >= deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
  if (inodeOf(path) !== inode) return false;
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

function inodeOf(path: string): string | null {
  try {
    const st = lstatSync(path);
    return st.isSocket() ? `${st.dev}:${st.ino}` : null;
  } catch {
    return null;
  }
}

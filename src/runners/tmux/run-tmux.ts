import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExitInfo, Instance, TmuxRunOptions } from '../types.js';
import { isGroupAlive, isProcessRunning, signalGroup, waitGroupGone, stopTerminalGroup } from '../process/group.js';
import { checkCwd } from '../process/check-cwd.js';
import { stopOnce } from '../stop-once.js';
import { splitCommand } from '../process/split-command.js';
import { closeTmuxWindows, endStalePanes, ownerTag, OWNER_OPTION } from './leftovers.js';
import { COMPONENT_OPTION, defaultTmuxSocket, hasTmuxSession, tmuxCommand } from './tmux-command.js';

/** What runTmux returns: an Instance plus where the window is. */
export interface TmuxInstance extends Instance {
  readonly socket: string;
  readonly session: string;
  /** tmux's window id (`@3`), stable across renames. */
  readonly windowId: string;
  readonly windowIndex: number;
  /** tmux's session id (`$2`). */
  readonly sessionId: string;
  /** True when this start created the session (tmux answered new-session). */
  readonly sessionCreated: boolean;
}

/**
 * `remain-on-exit on` for the new window, as a second command of the same
 * tmux invocation: tmux runs the pair before it handles the child's exit, so
 * even a command that ends at once leaves its exit status to read. corral
 * closes the window itself once it has read it. The same invocation marks the
 * window as this corral's (OWNER_OPTION), so a later corral can tell what a
 * dead one left.
 */
const KEEP_DEAD = (target: string, component: string | undefined) => [
  ...[';', 'set-option', '-w', '-t', target, 'remain-on-exit', 'on'],
  ...[';', 'set-option', '-w', '-t', target, OWNER_OPTION, ownerTag()],
  // In the same invocation, so a watch that lists the window on its %window-add already sees it.
  ...(component ? [';', 'set-option', '-w', '-t', target, COMPONENT_OPTION, component] : []),
];

const FORMAT = '#{session_id}\t#{window_id}\t#{window_index}\t#{pane_id}\t#{pane_pid}';

/**
 * Runs a component in a window of a tmux session on corral's tmux server
 * (`tmux -L socket`): creates the session when missing, else adds a window.
 * The pane's process is the Instance pid and leads its own process group
 * (tmux gives each pane a new session and terminal), which gets the stop
 * signal. The window keeps `remain-on-exit on` only so corral can read the
 * exit status once the process ends; corral then closes the window itself.
 * The pane's process is the tmux server's child, so its end is found by
 * polling its pid (capped backoff, 200 ms).
 *
 * Windows a corral that died left in the session (see leftovers.ts) are
 * ended first: their processes before the new window starts (so none keeps
 * a port the new one needs), their windows once the new one is open (so the
 * session, and the server, never empty meanwhile).
 */
export async function runTmux(opts: TmuxRunOptions): Promise<TmuxInstance> {
  const socket = opts.socket ?? defaultTmuxSocket();
  const session = opts.session;
  const windowName = opts.window ?? opts.name;
  const { argv, display } = commandArgv(opts);
  // tmux would start the window in its own directory instead, silently.
  checkCwd(opts.cwd);
  const common = ['-d', '-n', windowName, '-P', '-F', FORMAT];
  if (opts.cwd) common.push('-c', opts.cwd);
  for (const [k, v] of Object.entries(opts.env ?? {})) common.push('-e', `${k}=${v}`);

  const stale = await endStalePanes(socket, session);
  let sessionCreated = false;
  let out: string;
  if (!(await hasTmuxSession(socket, session))) {
    try {
      // A size for the detached session; attached clients resize it.
      out = await tmuxCommand(socket, [
        ...['new-session', '-s', session, '-x', '200', '-y', '50', ...common, '--', ...argv],
        ...KEEP_DEAD(`=${session}:`, opts.component),
      ]);
      sessionCreated = true;
    } catch (err) {
      // Another component may have created the session meanwhile: then add a window to it.
      if (!(await hasTmuxSession(socket, session))) throw withName(opts.name, err);
      out = await newWindow(socket, session, common, argv, opts.name, opts.component);
    }
  } else {
    out = await newWindow(socket, session, common, argv, opts.name, opts.component);
  }
  await closeTmuxWindows(socket, stale);
  const [sessionId = '', windowId = '', index = '0', paneId = '', panePid = ''] = out.trim().split('\t');
  const pid = Number(panePid);
  if (!windowId || !Number.isInteger(pid) || pid <= 0) throw new Error(`component "${opts.name}": tmux did not report the new window (${out.trim()})`);

  const stopper = stopOnce(
    (signal, timeoutMs) => stopTerminalGroup(pid, signal, timeoutMs),
    () => exited,
  );
  const exited: Promise<ExitInfo> = (async () => {
    await waitPidGone(pid);
    const recorded = await readDeadStatus(socket, paneId);
    await tmuxCommand(socket, ['kill-window', '-t', windowId]).catch(() => {});
    if (!stopper.stopping && isGroupAlive(pid)) signalGroup(pid, 'SIGKILL');
    await waitGroupGone(pid, Number.POSITIVE_INFINITY);
    if (stopper.done) await stopper.done;
    // When tmux recorded nothing and corral stopped it, it ended by corral's signal (known once the stop is done).
    const info = stopper.stopping && recorded.code === null && recorded.signal === null ? { code: null, signal: stopper.killed ? 'SIGKILL' : stopper.signal } : recorded;
    return { ...info, killed: stopper.killed };
  })();

  return {
    pid,
    command: display,
    exited,
    stop: stopper.stop,
    pids: () => [pid],
    attach: { kind: 'tmux', socket, session, window: windowId },
    socket,
    session,
    sessionId,
    windowId,
    windowIndex: Number(index),
    sessionCreated,
  };
}

async function newWindow(socket: string, session: string, common: string[], argv: string[], name: string, component: string | undefined): Promise<string> {
  // The window gets an index chosen here so the same tmux invocation can set its remain-on-exit (see KEEP_DEAD).
  for (let attempt = 0; ; attempt++) {
    const indexes = (await tmuxCommand(socket, ['list-windows', '-t', `=${session}`, '-F', '#{window_index}']).catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map(Number);
    const target = `=${session}:${indexes.length ? Math.max(...indexes) + 1 : 0}`;
    try {
      return await tmuxCommand(socket, ['new-window', '-t', target, ...common, '--', ...argv, ...KEEP_DEAD(target, component)]);
    } catch (err) {
      // Someone took that index meanwhile: pick again.
      if (attempt < 3 && /index .* in use/i.test((err as Error).message)) continue;
      throw withName(name, err);
    }
  }
}

function withName(name: string, err: unknown): Error {
  return new Error(`component "${name}": ${(err as Error).message}`, { cause: err });
}

/** tmux runs one argument through the shell and several directly, which matches `shell: true|false`. */
function commandArgv(opts: TmuxRunOptions): { argv: string[]; display: string } {
  const { command } = opts;
  if (Array.isArray(command)) {
    if (command.length === 0) throw new Error(`component "${opts.name}": command is empty`);
    return { argv: command, display: command.join(' ') };
  }
  if (opts.shell) return { argv: [command], display: command };
  try {
    return { argv: splitCommand(command), display: command };
  } catch (err) {
    throw new Error(`component "${opts.name}": ${(err as Error).message}`);
  }
}

/**
 * The pane's process is tmux's child, not ours: there is no exit event to wait on, so poll with a capped backoff.
 * The poll does not keep corral alive by itself: a window left running on purpose (tmux-orchestrator's
 * keep_session) must not stop the daemon from exiting after `corral down`.
 */
async function waitPidGone(pid: number): Promise<void> {
  let delay = 5;
  while (isProcessRunning(pid)) {
    await sleep(delay, undefined, { ref: false });
    delay = Math.min(delay * 2, 200);
  }
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, num]) => [num, name]));

async function readDeadStatus(socket: string, paneId: string): Promise<{ code: number | null; signal: string | null }> {
  // tmux marks the pane dead just after reaping it; ask for up to 2 s (a loaded machine delays tmux's reaping).
  for (let attempt = 0; attempt < 100; attempt++) {
    let out: string;
    try {
      out = await tmuxCommand(socket, ['display-message', '-p', '-t', paneId, '#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}']);
    } catch {
      return { code: null, signal: null }; // the window is gone (closed by hand or the server died)
    }
    const [dead, status = '', sig = ''] = out.trim().split('\t');
    // Dead, but with neither a status nor a signal: tmux (3.3a here) sometimes never records how a pane
    // ended; ask a few more times, then report the end without a code.
    if (dead === '1' && (status !== '' || sig !== '' || attempt >= 15)) {
      const signal = sig ? (SIGNAL_NAMES.get(Number(sig)) ?? `SIG${sig}`) : null;
      return { code: status !== '' && !signal ? Number(status) : null, signal };
    }
    await sleep(20);
  }
  return { code: null, signal: null };
}

import { execFile } from 'node:child_process';
import { CorralError } from '../../errors.js';

/** corral's own tmux server socket (`tmux -L corral`), so it never touches the user's default server. */
export const DEFAULT_TMUX_SOCKET = 'corral';

/** Default tmux session of tmux components that name none. */
export const DEFAULT_TMUX_SESSION = 'corral';

/** The socket tmux components use when none is given: `CORRAL_TMUX_SOCKET` (tests and CI use a private one), else `corral`. */
export function defaultTmuxSocket(): string {
  return process.env.CORRAL_TMUX_SOCKET || DEFAULT_TMUX_SOCKET;
}

/** Thrown when a tmux command fails; carries tmux's own message. */
export class TmuxError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TMX001', [message], options);
  }
}

/** Runs `tmux -L socket ARGS...` and returns its stdout; rejects with tmux's stderr (or ENOENT when tmux is missing). */
export function tmuxCommand(socket: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-L', socket, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return reject(new TmuxError('tmux is not installed (not found on PATH); install it, e.g. `apt install tmux` or `brew install tmux`'));
      reject(new TmuxError(`tmux ${args[0] ?? ''} failed: ${(stderr || e.message).trim()}`));
    });
  });
}

/**
 * True only when tmux itself says the session is not there (or no server
 * runs): a command that failed otherwise (timed out on a busy machine) says
 * nothing about the session.
 */
export async function isTmuxSessionGone(socket: string, session: string): Promise<boolean> {
  try {
    await tmuxCommand(socket, ['has-session', '-t', `=${session}`]);
    return false;
  } catch (err) {
    return /can't find session|no server running|error connecting to/i.test((err as Error).message);
  }
}

/** True when the session exists on the server (false too when no server runs). */
export async function hasTmuxSession(socket: string, session: string): Promise<boolean> {
  try {
    await tmuxCommand(socket, ['has-session', '-t', `=${session}`]);
    return true;
  } catch {
    return false;
  }
}

/** One window as `list-windows -a` reports it. */
export interface TmuxWindow {
  session: string;
  id: string;
  index: number;
  name: string;
  /** The corral component the window belongs to (window option COMPONENT_OPTION), when corral opened it for one. */
  component?: string;
}

/** Window option naming the corral component a window was opened for. */
export const COMPONENT_OPTION = '@corral_component';

/** A `-F` listing split into rows of tab-separated fields ([] when no server runs). */
export async function tmuxRows(socket: string, args: string[]): Promise<string[][]> {
  let out: string;
  try {
    out = await tmuxCommand(socket, args);
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => line.split('\t'));
}

/** Every window on the server ([] when no server runs). */
export async function listTmuxWindows(socket: string): Promise<TmuxWindow[]> {
  const rows = await tmuxRows(socket, ['list-windows', '-a', '-F', `#{session_name}\t#{window_id}\t#{window_index}\t#{${COMPONENT_OPTION}}\t#{window_name}`]);
  // A name may itself hold tabs: it is whatever follows the fourth field.
  return rows.map(([session = '', id = '', index = '0', component = '', ...name]) => ({
    session,
    id,
    index: Number(index),
    name: name.join('\t'),
    ...(component ? { component } : {}),
  }));
}

/** Sessions on the server, with tmux's ids (`$3`, never reused while the server runs); [] when no server runs. */
export async function listTmuxSessions(socket: string): Promise<Array<{ id: string; name: string }>> {
  const rows = await tmuxRows(socket, ['list-sessions', '-F', '#{session_id}\t#{session_name}']);
  return rows.map(([id = '', ...name]) => ({ id, name: name.join('\t') }));
}

import { spawn } from 'node:child_process';
import type { AttachInfo } from '../plugins/types.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { defaultTmuxSocket, tmuxCommand } from '../runners/tmux/tmux-command.js';
import { UsageError, parseArgs } from './args.js';
import { DETACH_HINT, attachPty } from './attach-pty.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { runCommand } from './run-command.js';

const USAGE = 'usage: corral attach NAME[:WINDOW]';

/**
 * `corral attach NAME[:WINDOW]`: connect this terminal to a running tmux or
 * pty component; WINDOW (a tmux window's name or index, as in tmux's own
 * `session:window` targets) picks another window of a tmux component's session.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, {});
    if (positionals.length !== 1) throw new UsageError(USAGE);
    // Component names never hold ":" (the config allows letters, digits, _ . -), so the first one splits.
    const [name = '', window] = splitTarget(positionals[0]!);
    if (name === '' || window === '') throw new UsageError(`${USAGE} (got "${positionals[0]}")`);
    // Before tmux or the pty say it their own way ("open terminal failed: not a terminal").
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      process.stderr.write(`corral attach needs a terminal (${process.stdin.isTTY ? 'stdout' : 'stdin'} is not one)\n`);
      return 2;
    }
    const target = findDaemon(flags.config as string | undefined);
    const res = await apiRequest<{ components: ComponentInfo[] } | ComponentInfo[] | { error?: string }>(target, 'GET', '/api/components');
    if (res.status !== 200) throw new Error(`the daemon answered ${res.status}: ${JSON.stringify(res.body)}`);
    const list = Array.isArray(res.body) ? res.body : ((res.body as { components?: ComponentInfo[] }).components ?? []);
    const component = list.find((c) => c.name === name);
    if (!component) {
      throw new UsageError(`no component named "${name}"${list.length ? ` (there are: ${list.map((c) => c.name).join(', ')})` : ''}`);
    }
    if (!component.attach) {
      throw new Error(
        `"${name}" cannot be attached to: ${component.state === 'running' || component.state === 'healthy' || component.state === 'unhealthy' ? `its plugin "${component.plugin}" gives it no terminal (only pty and tmux components have one)` : `it is ${component.state}`}`,
      );
    }
    if (window !== undefined && component.attach.kind !== 'tmux') {
      throw new UsageError(`"${name}" runs in a terminal of its own (pty), which has no windows: use corral attach ${name}`);
    }
    return attachTo(component.attach, name, window);
  }, 'attach');
}

function splitTarget(target: string): [string, string | undefined] {
  const colon = target.indexOf(':');
  return colon === -1 ? [target, undefined] : [target.slice(0, colon), target.slice(colon + 1)];
}

/**
 * Attaches to a component given its attach info; resolves to the exit code.
 * `window` (tmux only) names the window to land on instead of the component's own.
 */
export async function attachTo(attach: AttachInfo, name: string, window?: string): Promise<number> {
  if (attach.kind === 'tmux') return attachTmux(attach, name, window);
  if (!process.stdin.isTTY) throw new Error('corral attach needs a terminal (stdin is not a TTY)');
  process.stderr.write(`attached to ${name} — ${DETACH_HINT}\r\n`);
  const how = await attachPty({ socketPath: attach.socketPath });
  process.stderr.write(how === 'detached' ? `\r\ndetached from ${name} (it keeps running)\r\n` : `\r\n${name}'s terminal closed\r\n`);
  return 0;
}

interface SessionWindow {
  index: number;
  id: string;
  name: string;
}

/**
 * The window `wanted` names in the session: a tmux window id (`@3`, what the
 * tmux runner reports), an index (digits, as tmux reads a target), else a
 * name. Throws a UsageError listing the session's windows when none (or more
 * than one, by name) matches, so the user can pick again.
 */
async function findWindow(socket: string, session: string, wanted: string, name: string): Promise<SessionWindow> {
  let out: string;
  try {
    out = await tmuxCommand(socket, ['list-windows', '-t', `=${session}`, '-F', '#{window_index}\t#{window_id}\t#{window_name}']);
  } catch (err) {
    // tmux missing says so; anything else here means the session (or its server) is gone.
    if (/not installed/.test((err as Error).message)) throw err;
    throw new Error(`"${name}": its tmux session "${session}" is not there (tmux -L ${socket}): ${(err as Error).message}`);
  }
  // A name may itself hold tabs: it is whatever follows the second field.
  const windows = out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const [index = '0', id = '', ...rest] = line.split('\t');
      return { index: Number(index), id, name: rest.join('\t') };
    });
  const list = () => windows.map((w) => `${w.index} ${w.name}`).join(', ');
  const byId = wanted.startsWith('@') ? windows.find((w) => w.id === wanted) : undefined;
  const byIndex = /^\d+$/.test(wanted) ? windows.find((w) => w.index === Number(wanted)) : undefined;
  const found = byId ?? byIndex;
  if (found) return found;
  const named = windows.filter((w) => w.name === wanted);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    throw new UsageError(`${named.length} windows of "${name}" (tmux session "${session}") are named "${wanted}": pick one by index (${list()})`);
  }
  throw new UsageError(`no window "${wanted}" in "${name}" (tmux session "${session}"); its windows: ${list()}`);
}

/** Hands the terminal to tmux itself (detach with the tmux prefix then d, as usual). */
async function attachTmux(attach: Extract<AttachInfo, { kind: 'tmux' }>, name: string, wanted?: string): Promise<number> {
  const socket = attach.socket ?? defaultTmuxSocket();
  // Select the window first so the attach lands on it: the one asked for, else the component's own.
  // By its id, found in this session: a bare name or index would be read against whichever session tmux thinks is current.
  let select: string[] = [];
  if (wanted !== undefined) {
    select = ['select-window', '-t', (await findWindow(socket, attach.session, wanted, name)).id, ';'];
  } else {
    // The component's own window may have been closed or renamed by hand: then attach to the session as it is.
    const own = await findWindow(socket, attach.session, attach.window, name).catch((err: unknown) => {
      if (err instanceof UsageError) return null;
      throw err;
    });
    if (own) select = ['select-window', '-t', own.id, ';'];
  }
  // Inside another tmux, a nested attach refuses unless TMUX is cleared; the user asked for it explicitly.
  const env = { ...process.env };
  delete env.TMUX;
  const args = ['-L', socket, ...select, 'attach-session', '-t', `=${attach.session}`];
  return new Promise((resolve, reject) => {
    const child = spawn('tmux', args, { stdio: 'inherit', env });
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'ENOENT' ? 'tmux is not installed (not found on PATH)' : `tmux failed: ${err.message}`)),
    );
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type * as pty from 'node-pty';
import type { ExitInfo, Instance, RunOptions } from '../types.js';
import type { LogSink } from '../../logs/types.js';
import { isGroupAlive, signalGroup, waitGroupGone, stopTerminalGroup } from '../process/group.js';
import { checkCwd } from '../process/check-cwd.js';
import { stopOnce } from '../stop-once.js';
import { splitCommand } from '../process/split-command.js';
import { startAttachServer } from './attach-server.js';
import { Scrollback } from './scrollback.js';

export type PtyRunOptions = RunOptions & {
  cols?: number;
  rows?: number;
  /** Receives the terminal's output (as `out`); without it output only reaches attached clients. */
  logs?: LogSink;
  /** corral's state directory; the attach socket is `<stateDir>/attach/<name>.sock`. */
  stateDir: string;
  /** Bytes of recent output replayed to a client when it attaches (default 64 KiB). */
  scrollback?: number;
};

/**
 * Runs a component in a pseudo-terminal (node-pty): it sees a real terminal
 * (isatty, colours, line editing), its output goes to the log and to every
 * attached client, and `corral attach` reaches it through a unix socket.
 * The child leads its own session and process group (forkpty), which gets
 * the stop signal. Rejects when the program cannot be found (node-pty itself
 * would start and report the failure only as terminal output), or when its
 * cwd is not a directory.
 */
export async function runPty(opts: PtyRunOptions): Promise<Instance> {
  // Loaded on first use: a daemon without pty components does not carry the native module.
  const { spawn: spawnPty } = await import('node-pty');
  const { file, args, display } = resolvePtyCommand(opts);
  const cwd = opts.cwd ?? process.cwd();
  const env = { ...process.env, ...opts.env } as Record<string, string>;
  checkCwd(cwd);
  assertExecutable(file, env.PATH ?? '', cwd, opts.name);

  const socketPath = attachSocketPath(opts.stateDir, opts.name);
  const scrollback = new Scrollback(opts.scrollback ?? 64 * 1024);
  let term: pty.IPty | null = null;
  const server = await startAttachServer({
    socketPath,
    scrollback,
    write: (data) => term?.write(data.toString('utf8')),
    resize: (cols, rows) => {
      try {
        term?.resize(cols, rows);
      } catch {} // resizing a pty whose process has ended throws
    },
  });

  try {
    term = spawnPty(file, args, {
      name: env.TERM && env.TERM !== 'dumb' ? env.TERM : 'xterm-256color',
      cols: opts.cols ?? 120,
      rows: opts.rows ?? 40,
      cwd,
      env,
    });
  } catch (err) {
    await server.close();
    throw new Error(`component "${opts.name}": could not start ${file} in a pty: ${(err as Error).message}`, { cause: err });
  }
  const t = term;
  const pid = t.pid;
  t.onData((data) => {
    const chunk = Buffer.from(data, 'utf8');
    scrollback.push(chunk);
    // A terminal ends lines with CRLF; the log file is line-oriented text.
    opts.logs?.write('out', data.includes('\r\n') ? data.replace(/\r\n/g, '\n') : data);
    server.broadcast(chunk);
  });
  const leaderExit = new Promise<{ code: number | null; signal: string | null }>((resolveExit) => {
    t.onExit(({ exitCode, signal }) => {
      const name = signal ? (SIGNAL_NAMES.get(signal) ?? `SIG${signal}`) : null;
      resolveExit({ code: name ? null : exitCode, signal: name });
    });
  });

  const stopper = stopOnce(
    (signal, timeoutMs) => stopTerminalGroup(pid, signal, timeoutMs),
    () => exited,
  );
  const exited: Promise<ExitInfo> = (async () => {
    const leader = await leaderExit;
    if (!stopper.stopping && isGroupAlive(pid)) signalGroup(pid, 'SIGKILL');
    await waitGroupGone(pid, Number.POSITIVE_INFINITY);
    if (stopper.done) await stopper.done;
    opts.logs?.flush();
    await server.close();
    return { ...leader, killed: stopper.killed };
  })();

  return { pid, command: display, exited, stop: stopper.stop, pids: () => [pid], attach: { kind: 'pty', socketPath } };
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, num]) => [num, name]));

/**
 * `<stateDir>/attach/<name>.sock`, unless that is longer than a unix socket
 * path may be (about 104 bytes): then a short per-user path in the temp dir.
 */
export function attachSocketPath(stateDir: string, name: string): string {
  const preferred = join(resolve(stateDir), 'attach', `${name}.sock`);
  if (Buffer.byteLength(preferred) <= 100) return preferred;
  const hash = createHash('sha256').update(preferred).digest('hex').slice(0, 16);
  return join(tmpdir(), `corral-${process.getuid?.() ?? 'u'}`, `${hash}.sock`);
}

function resolvePtyCommand(opts: RunOptions): { file: string; args: string[]; display: string } {
  const { command } = opts;
  if (Array.isArray(command)) {
    if (command.length === 0 || !command[0]) throw new Error(`component "${opts.name}": command is empty`);
    return { file: command[0], args: command.slice(1), display: command.join(' ') };
  }
  if (opts.shell) return { file: '/bin/sh', args: ['-c', command], display: command };
  try {
    const argv = splitCommand(command);
    return { file: argv[0]!, args: argv.slice(1), display: command };
  } catch (err) {
    throw new Error(`component "${opts.name}": ${(err as Error).message}`);
  }
}

function assertExecutable(file: string, path: string, cwd: string, name: string): void {
  const candidates = file.includes('/') ? [isAbsolute(file) ? file : resolve(cwd, file)] : path.split(delimiter).filter(Boolean).map((d) => join(d, file));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      if (statSync(c).isFile()) return;
    } catch {}
  }
  const err = new Error(`spawn ${file} ENOENT`) as NodeJS.ErrnoException;
  err.code = 'ENOENT';
  err.message = `component "${name}": ${file} not found${file.includes('/') ? '' : ' on PATH'} (spawn ${file} ENOENT)`;
  throw err;
}

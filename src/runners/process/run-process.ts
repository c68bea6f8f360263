import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExitInfo, Instance, RunOptions } from '../types.js';
import type { LogSink } from '../../logs/types.js';
import { isGroupAlive, signalGroup, waitGroupGone, stopGroup } from './group.js';
import { checkCwd } from './check-cwd.js';
import { stopOnce } from '../stop-once.js';
import { splitCommand } from './split-command.js';

/** Options of the process runner: the common runner options plus where output goes. */
export type ProcessRunOptions = RunOptions & {
  /** Receives stdout/stderr; without it the output is discarded. */
  logs?: LogSink;
};

const PIPE_DRAIN_MS = 200;

/**
 * Starts one generation of a component as the leader of its own process
 * group (`detached: true`), stdin ignored.
 *
 * - Rejects when the program cannot be started at all; the rejection is the
 *   OS error (`code: 'ENOENT'`, message `spawn foo ENOENT`), or, for a `cwd`
 *   that is not a directory, `cwd /abs/dir does not exist` (ENOENT).
 * - `exited` settles when the leader has exited (its exit event, no polling)
 *   AND the whole group is gone. When the leader ends on its own and leaves
 *   members of its group behind, those are SIGKILLed: a generation is over
 *   when its leader is, and a restart must never find the old copy's
 *   children still holding its ports (`orphansKilled` says it happened).
 * - `stop` signals the group, waits up to the timeout, then SIGKILLs it.
 *
 * Nothing kills the children when the daemon exits by itself: the daemon ends
 * its groups on shutdown, and records each `pids()` group so a later daemon
 * can end what a crashed one left.
 */
export async function runProcess(opts: ProcessRunOptions): Promise<Instance> {
  const { file, args, display } = resolveCommand(opts);
  const logs = opts.logs;
  checkCwd(opts.cwd);
  // node's own spawn, not execa: execa's per-child promises, streams and
  // listeners cost ~100 KB of heap and a millisecond of CPU per generation,
  // and corral uses none of what they add (it does its own stop sequence).
  const subprocess = spawn(file, args, {
    shell: opts.shell === true,
    cwd: opts.cwd,
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
    detached: true,
    stdio: ['ignore', logs ? 'pipe' : 'ignore', logs ? 'pipe' : 'ignore'],
  });

  if (subprocess.pid === undefined) {
    // The spawn failed (no such program, a cwd that went away since the check): the OS error arrives as an 'error' event.
    const [err] = (await once(subprocess, 'error').catch((e: unknown) => [e])) as [unknown];
    throw err instanceof Error ? err : new Error(`spawn ${file} failed`);
  }
  // A later 'error' (a failed kill) must not crash the daemon; exits are read from 'exit'.
  subprocess.on('error', () => {});
  const pgid = subprocess.pid;

  let pipesClosed: Promise<unknown> = Promise.resolve();
  if (logs) {
    for (const s of [subprocess.stdout, subprocess.stderr]) s?.on('error', () => {});
    subprocess.stdout?.on('data', (chunk: Buffer) => logs.write('out', chunk));
    subprocess.stderr?.on('data', (chunk: Buffer) => logs.write('err', chunk));
    pipesClosed = Promise.all([subprocess.stdout, subprocess.stderr].map((s) => (s ? once(s, 'close').catch(() => {}) : null)));
  }

  const leaderExit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    subprocess.once('exit', (code, signal) => resolve({ code, signal }));
  });

  let orphansKilled = false;
  const stopper = stopOnce(
    (signal, timeoutMs) => stopGroup(pgid, signal, timeoutMs),
    () => exited,
  );

  const exited: Promise<ExitInfo> = (async () => {
    const leader = await leaderExit;
    if (!stopper.stopping && signalGroup(pgid, 0)) {
      // SIGKILL to zombies is harmless, so the kill does not depend on a scan; the flag does.
      orphansKilled = isGroupAlive(pgid, 0);
      signalGroup(pgid, 'SIGKILL');
    }
    // A stop in progress owns the group's end (it SIGKILLs after its timeout).
    await waitGroupGone(pgid, Number.POSITIVE_INFINITY);
    if (stopper.done) await stopper.done;
    if (logs) {
      // The last output may still be in the pipes after the exit event. A process that left
      // the group (setsid) could hold them open for ever, so the wait is bounded.
      const timer = new AbortController();
      const drained = await Promise.race([pipesClosed.then(() => true), sleep(PIPE_DRAIN_MS, false, { signal: timer.signal }).catch(() => false)]);
      timer.abort();
      if (!drained) {
        // Our ends are closed so that process cannot keep the daemon alive (its
        // later writes fail); from here on its output is not logged.
        logs.write('err', Buffer.from(`[corral] the process group of ${display} is gone but a process that left it (setsid?) still holds its output; no longer logged\n`));
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      }
      logs.flush();
    }
    const info: ExitInfo = { code: leader.code, signal: leader.signal, killed: stopper.killed };
    if (orphansKilled) info.orphansKilled = true;
    return info;
  })();

  return {
    pid: pgid,
    command: display,
    exited,
    stop: stopper.stop,
    pids: () => [pgid],
  };
}

function resolveCommand(opts: RunOptions): { file: string; args: string[]; display: string } {
  const { command } = opts;
  if (Array.isArray(command)) {
    if (command.length === 0 || !command[0]) throw new Error(`component "${opts.name}": command is empty`);
    return { file: command[0], args: command.slice(1), display: command.join(' ') };
  }
  if (opts.shell) return { file: command, args: [], display: command };
  let argv: string[];
  try {
    argv = splitCommand(command);
  } catch (err) {
    throw new Error(`component "${opts.name}": ${(err as Error).message}`);
  }
  return { file: argv[0]!, args: argv.slice(1), display: command };
}

import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Process-group helpers. A group counts as gone when no member is left that
 * is not a zombie: PID 1 in a container often does not reap orphans, so a
 * killed grandchild can stay a zombie forever while `kill(-pgid, 0)` still
 * succeeds. Zombies hold no ports, files or memory, so they do not count.
 */

/** Sends `signal` to the whole group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    // EPERM means a member exists that we may not signal: treat as present.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** State letter and process group of one pid from /proc, or null when gone. */
export function readProcStat(pid: number): { state: string; pgid: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22), or null when it is gone or unreadable; with the pid it names one process across pid reuse. */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return null;
  }
}

/** True when the pid exists and is not a zombie. */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  // Without /proc (not Linux) trust kill(0).
  if (stat === null) return existsProc() ? false : true;
  return stat.state !== 'Z' && stat.state !== 'X';
}

let procChecked: boolean | null = null;
function existsProc(): boolean {
  if (procChecked === null) {
    try {
      readdirSync('/proc/self');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

/** Pids of the group's members that are not zombies (Linux /proc scan). */
export function listGroupMembers(pgid: number): number[] {
  return scanProc()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

// One /proc scan costs milliseconds with a few hundred processes; many groups
// being waited on at once (stopping 20 components) share one scan per moment.
const SCAN_TTL_MS = 5;
let lastScan: { at: number; live: Array<{ pid: number; pgid: number }> } | null = null;

function scanProc(maxAgeMs = SCAN_TTL_MS): Array<{ pid: number; pgid: number }> {
  const now = performance.now();
  if (lastScan && now - lastScan.at < maxAgeMs) return lastScan.live;
  const live: Array<{ pid: number; pgid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readProcStat(pid);
    if (stat && stat.state !== 'Z' && stat.state !== 'X') live.push({ pid, pgid: stat.pgid });
  }
  lastScan = { at: performance.now(), live };
  return live;
}

/** True while the group has a live (non-zombie) member. `maxAgeMs` 0 forces a fresh scan. */
export function isGroupAlive(pgid: number, maxAgeMs = SCAN_TTL_MS): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!existsProc()) return true;
  return scanProc(maxAgeMs).some((p) => p.pgid === pgid);
}

// Members usually vanish within milliseconds of a signal, and kill(-pgid, 0)
// is free; /proc is scanned (for zombie-only groups) only after this long.
const ZOMBIE_CHECK_AFTER_MS = 50;

/**
 * Waits until the group is gone, checking with a short backoff (the kernel
 * gives no event for a group emptying). Resolves true when gone, false when
 * `timeoutMs` passed first or `signal` aborted.
 */
export async function waitGroupGone(pgid: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let delay = 1;
  for (;;) {
    if (!signalGroup(pgid, 0)) return true;
    if (Date.now() - start >= ZOMBIE_CHECK_AFTER_MS && !isGroupAlive(pgid)) return true;
    if (signal?.aborted) return false;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 25);
  }
}

/**
 * The graceful stop every runner does: `signal` to the whole group, wait up to
 * `timeoutMs` for it to be gone, then SIGKILL whatever is left. With
 * `hangupAfterMs`, a group still there by then is also sent SIGHUP (what
 * closing a terminal does). Resolves true when the SIGKILL was needed.
 */
export async function stopGroup(pgid: number, signal: NodeJS.Signals, timeoutMs: number, opts: { hangupAfterMs?: number } = {}): Promise<boolean> {
  signalGroup(pgid, signal);
  const gone = async (ms: number) => (await waitGroupGone(pgid, ms)) || !isGroupAlive(pgid, 0);
  let waited = 0;
  if (opts.hangupAfterMs !== undefined && signal !== 'SIGHUP') {
    waited = Math.min(opts.hangupAfterMs, timeoutMs);
    if (await gone(waited)) return false;
    signalGroup(pgid, 'SIGHUP');
  }
  if (await gone(timeoutMs - waited)) return false;
  signalGroup(pgid, 'SIGKILL');
  return true;
}

/**
 * `stopGroup` for a component that has a terminal (pty, tmux): SIGHUP when the
 * stop signal has not ended it within half a second, so an interactive shell
 * (which ignores SIGTERM) ends then instead of being SIGKILLed after the whole
 * stop timeout.
 */
export function stopTerminalGroup(pgid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  return stopGroup(pgid, signal, timeoutMs, { hangupAfterMs: 500 });
}

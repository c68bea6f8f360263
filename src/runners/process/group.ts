import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { childrenOf, groupExists, hasProcFs, isLiveState, newProcStat, readProcStat, processStartTicks, isProcessRunning } from '../../util/proc.js';

export { isProcessRunning, processStartTicks };

/**
 * Process-group helpers. A group counts as gone when no member is left that
 * is not a zombie: PID 1 in a container often does not reap orphans, so a
 * killed grandchild can stay a zombie forever while `kill(-pgid, 0)` still
 * succeeds. Zombies hold no ports, files or memory, so they do not count.
 */

/** Sends `signal` to the whole group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (signal === 0) return groupExists(pgid);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    // EPERM means a member exists that we may not signal: treat as present.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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

const scanStat = newProcStat();

/**
 * The process group of a live (not zombie) process, or null when it is gone or
 * a zombie. The sampler's reader: one shared buffer, only the fields needed,
 * no string per process (the daemon runs interpreted, and 20 components
 * stopping at once share the scans below).
 */
function livePgid(pid: number): number | null {
  if (!readProcStat(pid, scanStat)) return null;
  return isLiveState(scanStat) ? scanStat.pgid : null;
}

function scanProc(maxAgeMs = SCAN_TTL_MS): Array<{ pid: number; pgid: number }> {
  const now = performance.now();
  if (lastScan && now - lastScan.at < maxAgeMs) return lastScan.live;
  const live: Array<{ pid: number; pgid: number }> = [];
  const entries = readdirSync('/proc');
  for (let e = 0; e < entries.length; e++) {
    const c = entries[e]!.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    const pid = Number(entries[e]);
    const pgid = livePgid(pid);
    if (pgid !== null) live.push({ pid, pgid });
  }
  lastScan = { at: performance.now(), live };
  return live;
}

/** True while the group has a live (non-zombie) member. `maxAgeMs` 0 forces a fresh scan. */
export function isGroupAlive(pgid: number, maxAgeMs = SCAN_TTL_MS): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!hasProcFs()) return true;
  return scanProc(maxAgeMs).some((p) => p.pgid === pgid);
}

// Members usually vanish within milliseconds of a signal, and kill(-pgid, 0)
// is free; /proc is scanned (for zombie-only groups) only after this long,
// unless every member known when the stop began is already dead (see below).
const ZOMBIE_CHECK_AFTER_MS = 50;

/**
 * Members of groups being stopped, read just before the signal: the leader,
 * its children and theirs (Linux `/proc/PID/task/PID/children`), those in the
 * group. A killed member whose parent died first is reparented to PID 1 and
 * stays a zombie (still "in" the group for kill(-pgid, 0)) until PID 1 reaps
 * it, which can take seconds in a container. Once every known member is dead
 * or a zombie, one /proc scan confirms the group is gone at once instead of
 * after ZOMBIE_CHECK_AFTER_MS.
 */
const knownMembers = new Map<number, number[]>();

/** A process that left the component's group (setsid, setpgid) while its parent chain still reached the leader. */
export interface Escapee {
  pid: number;
  /** Start time (clock ticks since boot): with the pid it names one process across pid reuse. */
  start: number;
  /** It leads a group of its own (setsid): the signal goes to that whole group. */
  leader: boolean;
}

// A tree is walked at most this far: a stop reads one small file per process.
const MAX_TREE = 512;

/**
 * The group's members and the escapees, read just before the signal: the
 * leader's descendants through `/proc/PID/task/PID/children`, breadth first.
 * A descendant in another group left it (`setsid sleep &`); it is ended with
 * the component, as PM2's tree kill and systemd's control group would. One
 * whose parent chain was already broken (its parent exited) is out of reach.
 */
function readTree(pgid: number): { members: number[]; escapees: Escapee[] } {
  const members: number[] = [];
  const escapees: Escapee[] = [];
  // The group gone means its pid may belong to someone else now: nothing to walk.
  if (!signalGroup(pgid, 0)) return { members, escapees };
  // From the leader; when it has exited already, from the members left (a /proc scan, rare).
  const queue = livePgid(pgid) === pgid ? [pgid] : scanProc(0).filter((p) => p.pgid === pgid).map((p) => p.pid);
  members.push(...queue);
  for (let i = 0; i < queue.length && queue.length < MAX_TREE; i++) {
    const children = childrenOf(queue[i]!);
    for (let c = 0; c < children.length; c++) {
      const child = children[c]!;
      if (!readProcStat(child, scanStat) || !isLiveState(scanStat)) continue;
      if (scanStat.pgid === pgid) members.push(child);
      else escapees.push({ pid: child, start: scanStat.start, leader: scanStat.pgid === child });
      queue.push(child);
    }
  }
  return { members, escapees };
}

/**
 * The processes that left the group (setsid, setpgid) while their parent chain
 * still reaches it: found as a stop finds them, for the record that lets a
 * later daemon end them when this one dies before it stops them.
 */
export function findEscapees(pgid: number): Escapee[] {
  return readTree(pgid).escapees;
}

/** True while the escapee is the same live process, or, for a group leader that is gone or a zombie, its group has a live member. */
export function escapeeAlive(e: Escapee): boolean {
  if (readProcStat(e.pid, scanStat)) {
    // Its pid reused: the process is gone, and so is the group it led (Linux gives out no pid still used as a group id).
    if (scanStat.start !== e.start) return false;
    if (isLiveState(scanStat)) return true;
  }
  return e.leader && isGroupAlive(e.pid);
}

export function signalEscapees(escapees: readonly Escapee[], signal: NodeJS.Signals): void {
  for (const e of escapees) {
    if (!escapeeAlive(e)) continue;
    try {
      process.kill(e.leader ? -e.pid : e.pid, signal);
    } catch {}
  }
}

/** Waits up to `timeoutMs` for every escapee to be gone. */
export async function waitEscapeesGone(escapees: readonly Escapee[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    if (!escapees.some(escapeeAlive)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 50);
  }
}

function allDead(pids: readonly number[]): boolean {
  return pids.every((pid) => livePgid(pid) === null);
}

/**
 * Waits until the group is gone, checking with a short backoff (the kernel
 * gives no event for a group emptying). Resolves true when gone, false when
 * `timeoutMs` passed first or `signal` aborted.
 */
export async function waitGroupGone(pgid: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let delay = 1;
  // One early scan at most: if a member nobody knew of is still alive, the wait goes on as usual.
  let early = true;
  for (;;) {
    if (!signalGroup(pgid, 0)) return true;
    const known = knownMembers.get(pgid);
    if (early && known !== undefined && allDead(known)) {
      early = false;
      if (!isGroupAlive(pgid)) return true;
    }
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
  const started = Date.now();
  const tree = readTree(pgid);
  knownMembers.set(pgid, tree.members);
  // Kept a moment after the stop: the runner's own wait for the group (its exit path) uses them too.
  const forget = () => setTimeout(() => knownMembers.delete(pgid), 1000).unref();
  const { escapees } = tree;
  const hangup = opts.hangupAfterMs !== undefined && signal !== 'SIGHUP';
  let hungUp = false;
  signalGroup(pgid, signal);
  signalEscapees(escapees, signal);
  const gone = async (ms: number) => (await waitGroupGone(pgid, ms)) || !isGroupAlive(pgid, 0);
  let waited = 0;
  let killed = false;
  try {
    groupStop: {
      if (hangup) {
        waited = Math.min(opts.hangupAfterMs!, timeoutMs);
        if (await gone(waited)) break groupStop;
        signalGroup(pgid, 'SIGHUP');
        signalEscapees(escapees, 'SIGHUP');
        hungUp = true;
      }
      if (await gone(timeoutMs - waited)) break groupStop;
      signalGroup(pgid, 'SIGKILL');
      killed = true;
    }
    if (escapees.length > 0) {
      // The escapees share the stop's timeout (and its SIGHUP), then are SIGKILLed as the group is.
      const end = started + timeoutMs;
      if (hangup && !hungUp) {
        const hupAt = started + Math.min(opts.hangupAfterMs!, timeoutMs);
        if (!(await waitEscapeesGone(escapees, Math.max(0, hupAt - Date.now())))) signalEscapees(escapees, 'SIGHUP');
      }
      if (!(await waitEscapeesGone(escapees, Math.max(0, end - Date.now())))) {
        signalEscapees(escapees, 'SIGKILL');
        killed = true;
        await waitEscapeesGone(escapees, 1000);
      }
    }
    return killed;
  } finally {
    forget();
  }
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

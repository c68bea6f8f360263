import { closeSync, openSync, readSync, readdirSync, readFileSync } from 'node:fs';

/**
 * The one place corral reads Linux `/proc` for a single process: the stat
 * line, a process's start time (with the pid, it names one process across pid
 * reuse), whether a process or a group is alive, and a process's children.
 * Without `/proc` (not Linux) the alive checks trust `kill(pid, 0)`.
 */

/** The fields of one `/proc/PID/stat` line that corral needs. */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** cutime + cstime: what the children it has reaped used, in clock ticks. */
  childTicks: number;
  /** Start time after boot, in clock ticks: tells a reused pid from the process that had it before. */
  start: number;
  /** Resident set size, in pages. */
  rssPages: number;
  /** The state letter as a char code ('Z' zombie, 'X' dead, ...); set by parseProcStat. */
  state?: number;
}

export const ZOMBIE = 0x5a; // 'Z'
export const DEAD = 0x58; // 'X'

/** A fresh record for `readProcStat` to fill. */
export function newProcStat(): ProcStat {
  return { pid: 0, ppid: 0, pgid: 0, ticks: 0, childTicks: 0, start: 0, rssPages: 0 };
}

// One buffer for every read: a stat line is a few hundred bytes, and sampling
// runs every couple of seconds over every process, so no per-file allocation.
export const statBuffer = Buffer.alloc(4096);
const CLOSE_PAREN = 0x29;
const SPACE = 0x20;

/**
 * Reads `/proc/PID/stat` into `out`. Returns false when the process is gone
 * (it may exit between the directory listing and the read) or the line is
 * not what the kernel writes.
 */
export function readProcStat(pid: number, out: ProcStat): boolean {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return false;
  }
  let length = 0;
  try {
    length = readSync(fd, statBuffer, 0, statBuffer.length, 0);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
  return parseProcStat(statBuffer, length, pid, out);
}

/**
 * Parses the fields after the command name. The name is in parentheses and
 * may itself hold spaces and parentheses, so parsing starts after the LAST
 * ')'. Field numbers follow proc(5): 4 ppid, 5 pgrp, 14 utime, 15 stime,
 * 16 cutime, 17 cstime, 22 starttime, 24 rss.
 */
export function parseProcStat(buf: Uint8Array, length: number, pid: number, out: ProcStat): boolean {
  let i = length - 1;
  while (i >= 0 && buf[i] !== CLOSE_PAREN) i--;
  if (i < 0) return false;
  // After ") " comes field 3 (state).
  i += 2;
  out.state = buf[i] ?? 0;
  let field = 3;
  let utime = 0;
  let stime = 0;
  let cutime = 0;
  let cstime = 0;
  out.pid = pid;
  while (i < length && field <= 24) {
    // Only the non-negative numeric fields we need are parsed; others are skipped.
    if (field === 4 || field === 5 || (field >= 14 && field <= 17) || field === 22 || field === 24) {
      let value = 0;
      let c = buf[i] ?? SPACE;
      while (c >= 0x30 && c <= 0x39) {
        value = value * 10 + (c - 0x30);
        i++;
        c = buf[i] ?? SPACE;
      }
      if (field === 4) out.ppid = value;
      else if (field === 5) out.pgid = value;
      else if (field === 14) utime = value;
      else if (field === 15) stime = value;
      else if (field === 16) cutime = value;
      else if (field === 17) cstime = value;
      else if (field === 22) out.start = value;
      else out.rssPages = value;
    }
    while (i < length && buf[i] !== SPACE) i++;
    i++;
    field++;
  }
  if (field <= 24) return false;
  out.ticks = utime + stime;
  out.childTicks = cutime + cstime;
  return true;
}

const scratch = newProcStat();

/** Whether a stat just read is of a live process (not a zombie, not dead). */
export function isLiveState(stat: ProcStat): boolean {
  return stat.state !== ZOMBIE && stat.state !== DEAD;
}

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22), or null when it is gone or unreadable. */
export function processStartTicks(pid: number): number | null {
  return readProcStat(pid, scratch) ? scratch.start : null;
}

let procFs: boolean | null = null;
/** Whether this system has a readable `/proc` (Linux). */
export function hasProcFs(): boolean {
  if (procFs === null) {
    try {
      readdirSync('/proc/self');
      procFs = true;
    } catch {
      procFs = false;
    }
  }
  return procFs;
}

/**
 * True when a process with this pid exists and is not a zombie. A process
 * killed with SIGKILL (a daemon, a pane) stays a zombie until its parent or
 * init reaps it, which some containers' init does slowly; it already counts
 * as gone.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!readProcStat(pid, scratch)) return !hasProcFs();
  return isLiveState(scratch);
}

/** True while a process group with this id exists (zombies included: see `isGroupAlive` in src/runners/process/group.ts). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    // EPERM means a member exists that we may not signal: present.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Children of every thread of `pid` (a Go or Java program forks from any thread), from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (let t = 0; t < tasks.length; t++) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tasks[t]}/children`, 'utf8').trim();
      if (text !== '') for (const c of text.split(' ')) out.push(Number(c));
    } catch {}
  }
  return out;
}

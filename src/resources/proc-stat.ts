import { closeSync, openSync, readSync } from 'node:fs';

/** The fields of one `/proc/PID/stat` line that sampling needs. */
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

// One buffer for every read: a stat line is a few hundred bytes, and sampling
// runs every couple of seconds over every process, so no per-file allocation.
const buffer = Buffer.alloc(4096);
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
    length = readSync(fd, buffer, 0, buffer.length, 0);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
  return parseProcStat(buffer, length, pid, out);
}

/** Reads stat files, keeping the files of watched processes open between passes. */
export interface StatReader {
  /** Reads one process's stat; false when it is gone. Uses the kept file when there is one. */
  read(pid: number, out: ProcStat): boolean;
  /** Keeps the pid's stat file open for the next passes (up to the reader's limit). */
  keep(pid: number): void;
  /** Closes the kept files of every pid not in `live`. */
  sweep(live: { has(pid: number): boolean }): void;
  /** Closes every kept file. */
  close(): void;
  /** Number of files kept open. */
  openCount(): number;
}

/**
 * Creates a reader that keeps up to `maxOpen` stat files open. Re-reading an
 * open `/proc/PID/stat` from offset 0 returns fresh values, so a watched
 * process costs one pread per pass instead of open, read and close (about
 * half the time). A kept file of a process that exited fails with ESRCH, even
 * when its pid has been reused, and is then closed and reopened by path.
 */
export function createStatReader(maxOpen = 1024): StatReader {
  const kept = new Map<number, number>();

  function drop(pid: number): void {
    const fd = kept.get(pid);
    if (fd === undefined) return;
    kept.delete(pid);
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }

  return {
    read(pid, out) {
      const fd = kept.get(pid);
      if (fd !== undefined) {
        try {
          const length = readSync(fd, buffer, 0, buffer.length, 0);
          if (parseProcStat(buffer, length, pid, out)) return true;
        } catch {
          // The process behind this file is gone; the pid may belong to a new one.
        }
        drop(pid);
      }
      return readProcStat(pid, out);
    },
    keep(pid) {
      if (kept.has(pid) || kept.size >= maxOpen) return;
      try {
        kept.set(pid, openSync(`/proc/${pid}/stat`, 'r'));
      } catch {
        // Exited meanwhile: nothing to keep.
      }
    },
    sweep(live) {
      // forEach, not for...of: no iterator result per kept file in the interpreted daemon.
      kept.forEach((_fd, pid) => {
        if (!live.has(pid)) drop(pid);
      });
    },
    close() {
      for (const pid of [...kept.keys()]) drop(pid);
    },
    openCount: () => kept.size,
  };
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

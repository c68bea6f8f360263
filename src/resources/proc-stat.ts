import { closeSync, openSync, readSync } from 'node:fs';
import { parseProcStat, readProcStat, statBuffer as buffer, type ProcStat } from '../util/proc.js';

// The parser lives with the other /proc readers; the sampler's tests and callers find it here too.
export { parseProcStat, readProcStat, type ProcStat };

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

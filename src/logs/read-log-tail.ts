import { closeSync, existsSync, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { logFileName, parseLogLine } from './format.js';
import type { LogLine } from './types.js';

const BLOCK = 64 * 1024;
const SNAPSHOT_ATTEMPTS = 10;

/**
 * The last `n` lines of a component's log, oldest first, reaching into the
 * rotated files (`.1`, `.2`...) when the current one holds fewer. Reads
 * backwards in blocks, so a big file costs only what is shown. Every file is
 * opened before any is read, as one snapshot: a rotation while it reads
 * (which renames each file to the next number) neither repeats nor skips lines.
 */
export function readLogTail(dir: string, name: string, n: number): LogLine[] {
  if (n <= 0) return [];
  const fds = openLogFiles(dir, name);
  try {
    const lines: string[] = [];
    for (const fd of fds) {
      if (lines.length >= n) break;
      // A line without its end is being written (the sink writes whole lines): it is not shown yet.
      lines.unshift(...lastLinesOf(fd, n - lines.length, true));
    }
    return lines.map(parseLogLine);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/**
 * The files of one log opened newest first (`X.log`, `X.log.1`, ...), as they
 * stood at one moment. Opening them one after the other races a rotation, so
 * each path is checked afterwards to still be the file opened (or still
 * missing): when one changed, a rotation ran meanwhile, and it starts again.
 */
function openLogFiles(dir: string, name: string): number[] {
  let fds: number[] = [];
  for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
    for (const fd of fds) closeSync(fd);
    const last = lastRotatedIndex(dir, name);
    const opened: Array<{ path: string; fd: number | null }> = [];
    for (let index = 0; index <= last; index++) {
      const path = join(dir, logFileName(name, index));
      let fd: number | null = null;
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      opened.push({ path, fd });
    }
    fds = opened.flatMap((o) => (o.fd === null ? [] : [o.fd]));
    const unchanged = opened.every(({ path, fd }) => sameFile(path, fd));
    if (unchanged && lastRotatedIndex(dir, name) === last) return fds;
  }
  // Rotating faster than it can open a handful of files: keep each file once.
  const seen = new Set<string>();
  return fds.filter((fd) => {
    const { dev, ino } = fstatSync(fd);
    const key = `${dev}:${ino}`;
    if (seen.has(key)) {
      closeSync(fd);
      return false;
    }
    seen.add(key);
    return true;
  });
}

/** Whether `path` is still the file open as `fd` (or, for null, still missing). */
function sameFile(path: string, fd: number | null): boolean {
  let now: { dev: number; ino: number } | null = null;
  try {
    now = statSync(path);
  } catch {}
  if (fd === null || now === null) return fd === null && now === null;
  const then = fstatSync(fd);
  return then.dev === now.dev && then.ino === now.ino;
}

/** The highest N of the `NAME.log.N` files in `dir` (0 when none). */
function lastRotatedIndex(dir: string, name: string): number {
  const prefix = `${logFileName(name)}.`;
  let last = 0;
  try {
    for (const f of readdirSync(dir)) {
      if (!f.startsWith(prefix)) continue;
      const index = f.slice(prefix.length);
      if (/^[1-9]\d*$/.test(index)) last = Math.max(last, Number(index));
    }
  } catch {}
  return last;
}

/** The last `n` complete lines of one file (a trailing partial line counts as one). */
export function readLastLines(path: string, n: number): string[] {
  if (n <= 0) return [];
  const fd = openSync(path, 'r');
  try {
    return lastLinesOf(fd, n);
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines of an open file, as `readLastLines`; `wholeOnly` leaves out a trailing partial line. */
function lastLinesOf(fd: number, n: number, wholeOnly = false): string[] {
  if (n <= 0) return [];
  let pos = fstatSync(fd).size;
  let buffered = Buffer.alloc(0);
  // Count newlines until there are n+1 of them (or the start of the file is reached).
  while (pos > 0) {
    const len = Math.min(BLOCK, pos);
    pos -= len;
    const block = Buffer.alloc(len);
    readSync(fd, block, 0, len, pos);
    buffered = Buffer.concat([block, buffered]);
    let count = 0;
    for (const byte of buffered) if (byte === 0x0a) count++;
    if (count > n) break;
  }
  const lines = buffered.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '' || wholeOnly) lines.pop();
  // When the read stopped mid-file, the first piece is a fragment of an older line.
  if (pos > 0) lines.shift();
  return lines.slice(-n);
}

/**
 * Whether `name` has a log in `dir`: its current file or a rotated one. A
 * rotation renames `X.log` to `X.log.1` before it opens the next `X.log`, so
 * for a moment only the rotated files exist.
 */
export function hasLog(dir: string, name: string): boolean {
  return existsSync(join(dir, logFileName(name))) || lastRotatedIndex(dir, name) > 0;
}

/** Names of the components that have a log in `dir` (`X.log`, or `X.log.N` mid-rotation → `X`), sorted. */
export function listLogNames(dir: string): string[] {
  try {
    const names = new Set<string>();
    for (const f of readdirSync(dir)) {
      const m = /^(.+)\.log(?:\.[1-9]\d*)?$/.exec(f);
      if (m) names.add(m[1]!);
    }
    return [...names].sort();
  } catch {
    return [];
  }
}

import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { logFileName, parseLogLine } from './format.js';
import { listLogNames } from './read-log-tail.js';
import type { LogLine } from './types.js';

export interface FollowOptions {
  dir: string;
  /** Components to follow; omitted = every `*.log` in `dir`, including files that appear later. */
  names?: string[];
  onLine(name: string, line: LogLine): void;
  /** Fallback check period, for file systems where watching misses changes (default 500 ms). */
  pollMs?: number;
}

interface Follower {
  name: string;
  path: string;
  fd: number | null;
  ino: number;
  pos: number;
  partial: string;
}

/**
 * Follows log files as they grow (`corral logs -f`), from their current end.
 * Survives rotation: the old file is read to its end through the open
 * descriptor before the new one is opened from its start. Watches the
 * directory (rename and create events) and also checks every `pollMs`.
 */
export function followLogs(opts: FollowOptions): { close(): void } {
  const followers = new Map<string, Follower>();
  const pollMs = opts.pollMs ?? 500;

  const add = (name: string, fromEnd: boolean) => {
    const f: Follower = { name, path: join(opts.dir, logFileName(name)), fd: null, ino: -1, pos: 0, partial: '' };
    followers.set(name, f);
    if (openCurrent(f) && fromEnd) f.pos = fstatSync(f.fd!).size;
  };

  const emit = (f: Follower, text: string) => {
    const lines = (f.partial + text).split('\n');
    f.partial = lines.pop()!;
    for (const line of lines) opts.onLine(f.name, parseLogLine(line));
  };

  const readToEnd = (f: Follower) => {
    if (f.fd === null) return;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(f.fd, buf, 0, buf.length, f.pos);
      if (n <= 0) break;
      f.pos += n;
      emit(f, buf.toString('utf8', 0, n));
    }
  };

  const check = (f: Follower) => {
    try {
      readToEnd(f);
      let current: ReturnType<typeof statSync> | null = null;
      try {
        current = statSync(f.path);
      } catch {
        return; // Between rotation's rename and the new file's creation.
      }
      if (current.ino !== f.ino) {
        // Rotated: what was left in the old file has just been read.
        if (f.fd !== null) closeSync(f.fd);
        f.fd = null;
        f.partial = '';
        if (openCurrent(f)) readToEnd(f);
      } else if (current.size < f.pos) {
        f.pos = 0; // Truncated in place.
        f.partial = '';
        readToEnd(f);
      }
    } catch {
      // A file vanishing mid-read is picked up again on the next check.
    }
  };

  const checkAll = () => {
    if (!opts.names) for (const name of listLogNames(opts.dir)) if (!followers.has(name)) add(name, false);
    for (const f of followers.values()) check(f);
  };

  for (const name of opts.names ?? listLogNames(opts.dir)) add(name, true);

  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      checkAll();
    });
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(opts.dir, schedule);
    watcher.on('error', () => {});
  } catch {
    // No directory yet or no inotify: the poll below still works.
  }
  const timer = setInterval(checkAll, pollMs);

  return {
    close() {
      clearInterval(timer);
      watcher?.close();
      for (const f of followers.values()) if (f.fd !== null) closeSync(f.fd);
      followers.clear();
    },
  };
}

function openCurrent(f: Follower): boolean {
  try {
    f.fd = openSync(f.path, 'r');
    f.ino = fstatSync(f.fd).ino;
    f.pos = 0;
    return true;
  } catch {
    f.fd = null;
    f.ino = -1;
    return false;
  }
}

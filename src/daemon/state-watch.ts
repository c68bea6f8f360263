import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { Bus } from '../bus/types.js';
import type { StoreHandle } from '../bus/store-handle.js';
import type { Logger } from '../plugins/types.js';
import { openCheckedStore } from '../bus/store-open.js';
import { writeToken } from '../server/token.js';
import { ensureDir, readToken, statePaths, writeDaemonInfo, type DaemonInfo } from './paths.js';

/** The code of the error event that says corral's state directory (or a file of it) was lost and made again. */
export const STATE_LOST_CODE = 'STO001';

/** How often the daemon checks that its state directory is still there (ms) when it cannot watch it (fs.watch failed). */
export const STATE_CHECK_MS = 1000;
/** While it watches the directory, a check this often anyway (ms): a change the watch missed is noticed within this. */
export const STATE_BACKSTOP_MS = 60_000;
/** A check runs once the directory has been quiet this long after a change (ms): `rm -rf` is done by then. */
const QUIET_MS = 100;

export interface StateWatchOptions {
  stateDir: string;
  token: string;
  info: () => DaemonInfo;
  store: StoreHandle;
  retention: () => { events: number; age: number };
  bus: Bus;
  logger: Logger;
  /** Writes groups.json again. */
  rewriteGroups(): void;
  /** Every log file is opened again before its next line. */
  reopenLogs(): void;
  /** The polling interval when the directory cannot be watched (default STATE_CHECK_MS). */
  intervalMs?: number;
}

const inode = (path: string): number | null => {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
};

/**
 * Notices that the state directory (or a file corral needs in it) was
 * deleted while the daemon runs, and makes again what it needs: daemon.json
 * (else `corral down` says "not running" while every component runs), the
 * token (the same one: clients hold it), groups.json, the log files, and a
 * new events.db (appends into a deleted file would be acknowledged and
 * lost). Says so in the log and as an `error.STO001` event, stored in the
 * new database. The directory is watched (inotify through fs.watch): a
 * check runs once it has been quiet for QUIET_MS after an entry of it was
 * created, deleted or renamed, or it was itself deleted; writes to events.db
 * and its WAL are not looked at. An idle daemon does not wake up for it (a
 * backstop check every STATE_BACKSTOP_MS); where the directory cannot be
 * watched, it is checked every STATE_CHECK_MS instead.
 */
export function watchStateDir(o: StateWatchOptions) {
  const paths = statePaths(o.stateDir);
  let dirIno = inode(o.stateDir);
  let logsIno = inode(paths.logs);
  let storeIno = inode(paths.events);

  function check(): string[] {
    const remade: string[] = [];
    if (inode(o.stateDir) !== dirIno || dirIno === null) {
      ensureDir(o.stateDir);
      dirIno = inode(o.stateDir);
      remade.push('the directory');
    }
    if (inode(paths.logs) !== logsIno || logsIno === null) {
      ensureDir(paths.logs);
      logsIno = inode(paths.logs);
      o.reopenLogs();
      remade.push('logs/');
    }
    if (!existsSync(paths.daemon)) {
      writeDaemonInfo(o.stateDir, o.info());
      remade.push('daemon.json');
    }
    if (readToken(o.stateDir) !== o.token) {
      writeToken(o.stateDir, o.token);
      remade.push('token');
    }
    if (!existsSync(paths.groups)) o.rewriteGroups();
    let storeLost = false;
    if (inode(paths.events) !== storeIno || storeIno === null) {
      const { store } = openCheckedStore({ file: paths.events, retention: o.retention() });
      const old = o.store.replace(store);
      storeIno = inode(paths.events);
      // What it still holds goes to the deleted file: nothing to save it for.
      try {
        old.close();
      } catch {}
      storeLost = true;
      remade.push('events.db');
    }
    if (remade.length === 0) return remade;
    const message =
      `the state directory ${o.stateDir} (or part of it) was deleted while corral ran; made again: ${remade.join(', ')}` +
      (storeLost ? '. events.db is a new, empty store: the events stored before were deleted with it' : '');
    o.logger.error(message);
    o.bus.publishError({ error_code: STATE_LOST_CODE, error_message: message, component: 'corral', severity: 'error', context: { state_dir: o.stateDir, remade } });
    return remade;
  }

  let checks = 0;
  const safeCheck = () => {
    checks++;
    try {
      check();
    } catch (err) {
      o.logger.error(`the state directory ${o.stateDir} is gone and cannot be made again: ${(err as Error).message}`);
    }
  };

  let watcher: FSWatcher | null = null;
  let watchedIno: number | null = null;
  let quiet: NodeJS.Timeout | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const checkAndRewatch = (): void => {
    quiet = null;
    if (stopped) return;
    safeCheck();
    // The directory was made again (or the watch ended with it): watch the new one.
    if (watcher === null || inode(o.stateDir) !== watchedIno) startWatch();
  };

  const soon = (): void => {
    if (quiet) clearTimeout(quiet);
    quiet = setTimeout(checkAndRewatch, QUIET_MS);
    quiet.unref();
  };

  const poll = (ms: number): void => {
    if (timer) clearInterval(timer);
    timer = setInterval(checkAndRewatch, ms);
    timer.unref();
  };

  function startWatch(): void {
    watcher?.close();
    watcher = null;
    try {
      watchedIno = inode(o.stateDir);
      watcher = watch(o.stateDir, { persistent: false }, (type, name) => {
        // The store's own writes (events.db, -wal, -shm) say nothing about the directory; its deletion does.
        if (name?.startsWith('events.db') && !(type === 'rename' && name === 'events.db')) return;
        soon();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
        soon();
      });
      poll(STATE_BACKSTOP_MS);
    } catch (err) {
      watcher = null;
      if (o.intervalMs === undefined) o.logger.debug(`cannot watch the state directory (${(err as Error).message}); checking it every ${STATE_CHECK_MS} ms`);
      poll(o.intervalMs ?? STATE_CHECK_MS);
    }
  }
  startWatch();

  return {
    /** Checks now (and makes again what is missing); returns what was made again. */
    check,
    /** Checks the watch (or the poll) ran so far. */
    checks: () => checks,
    stop(): void {
      stopped = true;
      watcher?.close();
      watcher = null;
      if (quiet) clearTimeout(quiet);
      if (timer) clearInterval(timer);
    },
  };
}

import { existsSync, statSync } from 'node:fs';
import type { Bus } from '../bus/types.js';
import type { StoreHandle } from '../bus/store-handle.js';
import type { Logger } from '../plugins/types.js';
import { openCheckedStore } from '../bus/store-open.js';
import { writeToken } from '../server/token.js';
import { ensureDir, readToken, statePaths, writeDaemonInfo, type DaemonInfo } from './paths.js';

/** The code of the error event that says corral's state directory (or a file of it) was lost and made again. */
export const STATE_LOST_CODE = 'STO001';

/** How often the daemon checks that its state directory is still there (ms). */
export const STATE_CHECK_MS = 1000;

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
 * new database. Checked on a slow timer (a few stat calls a second).
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

  const safeCheck = () => {
    try {
      check();
    } catch (err) {
      o.logger.error(`the state directory ${o.stateDir} is gone and cannot be made again: ${(err as Error).message}`);
    }
  };
  const timer = setInterval(safeCheck, o.intervalMs ?? STATE_CHECK_MS);
  timer.unref();
  return {
    /** Checks now (and makes again what is missing); returns what was made again. */
    check,
    stop(): void {
      clearInterval(timer);
    },
  };
}

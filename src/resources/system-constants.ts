import { execFileSync } from 'node:child_process';

/** Kernel constants needed to turn `/proc` numbers into seconds and bytes. */
export interface SystemConstants {
  /** Clock ticks per second (USER_HZ) of utime/stime/starttime. */
  clockTicks: number;
  /** Bytes per page of the rss field. */
  pageSize: number;
}

let cached: SystemConstants | null = null;

function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Asks `getconf` once per process (not per sample) and remembers the answer.
 * The fallbacks are Linux's usual values: 100 ticks, 4 KiB pages.
 */
export function readSystemConstants(): SystemConstants {
  cached ??= { clockTicks: getconf('CLK_TCK', 100), pageSize: getconf('PAGESIZE', 4096) };
  return cached;
}

import { setFlagsFromString } from 'node:v8';
import type { LogLoad } from '../logs/load.js';

/**
 * The daemon starts with V8's compilers off (DAEMON_V8_FLAGS: interpreter
 * only), because it is idle nearly always and the compilers' code and data
 * cost ~10 MB of resident memory. A busy bus is another matter: interpreted,
 * the main thread needs ~3.5× the CPU per event (at 5,000 events/s it is
 * ~95 % busy instead of ~30 %), and latency suffers. A log flood is the
 * same: interpreted, the daemon wrote ~2 MB/s of a component's output to its
 * log and dropped the rest (bench/log-flood.js). So once the bus carries
 * `eventsPerSecond`, or the log sinks take in `logBytesPerSecond`, for
 * `seconds` in a row, this turns the compilers that the flags turned off back
 * on, for the rest of the process's life (V8 reads these flags whenever it
 * decides to tier a function up; Node leaves flags writable).
 */
export interface AdaptiveJitOptions {
  /** The bus's sequence number (events published so far). */
  seq: () => number;
  /** Events per second that count as busy (default 200). */
  eventsPerSecond?: number;
  /** The log sinks' intake (createLogLoad): bytes of component output so far. */
  logs?: LogLoad;
  /**
   * Log intake per second that counts as busy (default 2 MB/s: ~20,000
   * 100-byte lines a second, 10× a verbose component's debug log, enough to
   * fill a default 10 MiB log file every 5 s; about what the interpreted
   * daemon writes before it falls behind and drops).
   */
  logBytesPerSecond?: number;
  /** Busy seconds in a row before the compilers go on (default 3). */
  seconds?: number;
  /** The compilers to turn on (default: those the process's flags turned off). */
  compilers?: readonly string[];
  /** Told once they are on, with the rates of the last second (events/s, log bytes/s). */
  onEnable?: (eventsPerSecond: number, compilers: readonly string[], logBytesPerSecond: number) => void;
  /** Turns one compiler on (tests replace it). */
  enable?: (flag: string) => void;
}

/** The default rates that count as busy: bus events per second, and log bytes per second. */
export const BUSY_EVENTS_PER_SECOND = 200;
export const BUSY_LOG_BYTES_PER_SECOND = 2_000_000;

/** V8 flags that switch a compiler off, and the flag that switches it back on. */
const OFF_FLAGS: Record<string, string> = {
  '--no-opt': '--turbofan',
  '--no-turbofan': '--turbofan',
  '--no-sparkplug': '--sparkplug',
};

/** The compilers the process's flags turned off (as the flags that turn them on), in a stable order. */
export function compilersOff(execArgv: readonly string[] = process.execArgv): string[] {
  const on = new Set<string>();
  for (const arg of execArgv) {
    const flag = OFF_FLAGS[arg.replaceAll('_', '-')];
    if (flag) on.add(flag);
  }
  return [...on].sort();
}

/** Watches the bus's event rate and the log intake; returns a stop function. Does nothing when no compiler is off. */
export function startAdaptiveJit(opts: AdaptiveJitOptions): { stop(): void; enabled(): boolean } {
  const compilers = opts.compilers ?? compilersOff();
  const threshold = opts.eventsPerSecond ?? BUSY_EVENTS_PER_SECOND;
  const logs = opts.logs;
  const logThreshold = opts.logBytesPerSecond ?? BUSY_LOG_BYTES_PER_SECOND;
  const needed = opts.seconds ?? 3;
  const enable = opts.enable ?? ((flag: string) => setFlagsFromString(flag));
  let on = compilers.length === 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  if (!on) {
    let previous = opts.seq();
    let previousBytes = logs?.bytes ?? 0;
    let previousAt = Date.now();
    let busy = 0;
    let wait = 1000;
    const tick = (): void => {
      logs?.wakeAt(Infinity, null);
      const seq = opts.seq();
      const bytes = logs?.bytes ?? 0;
      const at = Date.now();
      const elapsed = Math.max(1, at - previousAt);
      const rate = Math.round(((seq - previous) * 1000) / elapsed);
      const logRate = Math.round(((bytes - previousBytes) * 1000) / elapsed);
      // Log output below the flood rate is no reason to look every second: a flood wakes the watch itself (below).
      const quiet = seq === previous && logRate < logThreshold;
      previous = seq;
      previousBytes = bytes;
      previousAt = at;
      busy = rate >= threshold || logRate >= logThreshold ? busy + 1 : 0;
      if (busy >= needed) {
        timer = undefined;
        on = true;
        for (const flag of compilers) enable(flag);
        opts.onEnable?.(rate, compilers, logRate);
        return;
      }
      // A quiet bus is looked at less and less often (up to every 30 s), so an
      // idle daemon does not wake up every second for this; any event brings
      // the one-second watch back, and so does a second's worth of flood-rate
      // log output (counted by the sinks, so no timer of its own).
      wait = quiet ? Math.min(wait * 2, 30_000) : 1000;
      if (stopped) return;
      schedule();
      if (wait > 1000) logs?.wakeAt(bytes + logThreshold, wake);
    };
    // Log output at the flood rate while the watch looks rarely: look again in a second, from now.
    const wake = (): void => {
      if (stopped || on) return;
      if (timer) clearTimeout(timer);
      previous = opts.seq();
      previousBytes = logs?.bytes ?? 0;
      previousAt = Date.now();
      wait = 1000;
      schedule();
    };
    const schedule = (): void => {
      timer = setTimeout(tick, wait);
      // Never what keeps the daemon alive.
      timer.unref();
    };
    schedule();
  }
  return {
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      stopped = true;
      logs?.wakeAt(Infinity, null);
    },
    enabled: () => on,
  };
}

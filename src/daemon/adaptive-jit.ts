import { setFlagsFromString } from 'node:v8';

/**
 * The daemon starts with V8's compilers off (DAEMON_V8_FLAGS: interpreter
 * only), because it is idle nearly always and the compilers' code and data
 * cost ~10 MB of resident memory. A busy bus is another matter: interpreted,
 * the main thread needs ~3.5× the CPU per event (at 5,000 events/s it is
 * ~95 % busy instead of ~30 %), and latency suffers. So once the bus carries
 * `eventsPerSecond` for `seconds` in a row, this turns the compilers that the
 * flags turned off back on, for the rest of the process's life (V8 reads these
 * flags whenever it decides to tier a function up; Node leaves flags writable).
 */
export interface AdaptiveJitOptions {
  /** The bus's sequence number (events published so far). */
  seq: () => number;
  /** Events per second that count as busy (default 200). */
  eventsPerSecond?: number;
  /** Busy seconds in a row before the compilers go on (default 3). */
  seconds?: number;
  /** The compilers to turn on (default: those the process's flags turned off). */
  compilers?: readonly string[];
  /** Told once they are on, with the rate that did it. */
  onEnable?: (eventsPerSecond: number, compilers: readonly string[]) => void;
  /** Turns one compiler on (tests replace it). */
  enable?: (flag: string) => void;
}

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

/** Watches the bus's event rate; returns a stop function. Does nothing when no compiler is off. */
export function startAdaptiveJit(opts: AdaptiveJitOptions): { stop(): void; enabled(): boolean } {
  const compilers = opts.compilers ?? compilersOff();
  const threshold = opts.eventsPerSecond ?? 200;
  const needed = opts.seconds ?? 3;
  const enable = opts.enable ?? ((flag: string) => setFlagsFromString(flag));
  let on = compilers.length === 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  if (!on) {
    let previous = opts.seq();
    let previousAt = Date.now();
    let busy = 0;
    let wait = 1000;
    const tick = (): void => {
      const seq = opts.seq();
      const at = Date.now();
      const rate = Math.round(((seq - previous) * 1000) / Math.max(1, at - previousAt));
      const quiet = seq === previous;
      previous = seq;
      previousAt = at;
      busy = rate >= threshold ? busy + 1 : 0;
      if (busy >= needed) {
        timer = undefined;
        on = true;
        for (const flag of compilers) enable(flag);
        opts.onEnable?.(rate, compilers);
        return;
      }
      // A quiet bus is looked at less and less often (up to every 30 s), so an
      // idle daemon does not wake up every second for this; any event brings
      // the one-second watch back.
      wait = quiet ? Math.min(wait * 2, 30_000) : 1000;
      if (!stopped) schedule();
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
    },
    enabled: () => on,
  };
}

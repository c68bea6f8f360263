/**
 * How much output the log sinks have taken in, process-wide: the daemon's
 * adaptive JIT reads it to tell a log flood from ordinary chatter (see
 * src/daemon/adaptive-jit.ts). Counting costs a sink one addition and one
 * comparison per chunk; nothing here runs on its own (no timer).
 */
export interface LogLoad {
  /** Bytes (string chunks: UTF-16 units) handed to the sinks so far. */
  readonly bytes: number;
  /** Counts a chunk a sink was handed. */
  add(bytes: number): void;
  /**
   * Calls `fn` once, from the `add` that takes `bytes` to `mark` or past it, so
   * a watcher that looks rarely is woken by a flood instead of by a timer. One
   * waiter at a time: a new call replaces the last; `wakeAt(Infinity, null)` clears it.
   */
  wakeAt(mark: number, fn: (() => void) | null): void;
}

export function createLogLoad(): LogLoad {
  let bytes = 0;
  let mark = Infinity;
  let waiter: (() => void) | null = null;
  return {
    get bytes() {
      return bytes;
    },
    add(n) {
      bytes += n;
      if (bytes >= mark) {
        const fn = waiter;
        mark = Infinity;
        waiter = null;
        fn?.();
      }
    },
    wakeAt(m, fn) {
      mark = fn ? m : Infinity;
      waiter = fn;
    },
  };
}

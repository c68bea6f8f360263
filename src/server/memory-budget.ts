/**
 * One daemon-wide budget of bytes that clients can make the daemon hold:
 * WebSocket output a client has not read yet (replay pages, slow-consumer
 * batches, frames waiting in a socket's buffer) and, later, HTTP request
 * bodies being read. Every holder reserves before it holds and releases
 * exactly what it reserved once the bytes are gone (written to the kernel,
 * freed, or the connection closed).
 *
 * - `tryReserve(n)` takes `n` bytes only if they fit under the limit (plus
 *   `allowance`, a small overdraft for small answers that must not wait behind
 *   big ones); false means "not now": refuse, shrink or wait.
 * - `reserve(n)` always takes them, for bytes already held (a write that the
 *   socket buffered); the overdraft shows in `used()` and makes every
 *   `tryReserve` fail until it is paid back.
 * - `release(n)` gives bytes back and wakes waiters, oldest first, while the
 *   budget has room.
 * - `whenAvailable(fn)` calls `fn` once after the next release that leaves
 *   room (at least `minFree` bytes); returns a cancel function.
 */
export interface MemoryBudget {
  readonly limit: number;
  tryReserve(bytes: number, allowance?: number): boolean;
  reserve(bytes: number): void;
  release(bytes: number): void;
  used(): number;
  /** Bytes left under the limit (0 when overdrawn). */
  available(): number;
  whenAvailable(fn: () => void): () => void;
}

/** The default daemon-wide budget: 128 MiB of unread output and request bodies together. */
export const DEFAULT_MEMORY_BUDGET = 128 * 1024 * 1024;

/** A waiter is woken only when at least this much is free, so a release of a few bytes does not wake everyone. */
const MIN_FREE = 64 * 1024;

export function createMemoryBudget(limit: number = DEFAULT_MEMORY_BUDGET): MemoryBudget {
  if (!Number.isFinite(limit) || limit <= 0) throw new RangeError(`memory budget: expected a positive number of bytes, got ${limit}`);
  let used = 0;
  const waiters = new Set<() => void>();

  function wake(): void {
    if (waiters.size === 0 || limit - used < Math.min(MIN_FREE, limit)) return;
    // One waiter at a time: each may take what was freed.
    for (const fn of waiters) {
      waiters.delete(fn);
      try {
        fn();
      } catch {}
      if (limit - used < Math.min(MIN_FREE, limit)) break;
    }
  }

  return {
    limit,
    tryReserve(bytes, allowance = 0) {
      if (bytes < 0) throw new RangeError(`memory budget: cannot reserve ${bytes} bytes`);
      if (used + bytes > limit + allowance) return false;
      used += bytes;
      return true;
    },
    reserve(bytes) {
      if (bytes < 0) throw new RangeError(`memory budget: cannot reserve ${bytes} bytes`);
      used += bytes;
    },
    release(bytes) {
      if (bytes <= 0) return;
      used = Math.max(0, used - bytes);
      wake();
    },
    used: () => used,
    available: () => Math.max(0, limit - used),
    whenAvailable(fn) {
      waiters.add(fn);
      return () => waiters.delete(fn);
    },
  };
}

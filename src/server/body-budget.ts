import type { MemoryBudget } from './memory-budget.js';

/**
 * The request-body bytes the daemon holds at once, across every request:
 * each body is counted from the moment it is accepted (its Content-Length
 * at once, a chunked body chunk by chunk) until its answer is sent. A body
 * that does not fit is refused with 503 and Retry-After instead of being
 * read, so concurrent large bodies cannot grow the daemon without bound.
 */
export interface ByteBudget {
  /** The most bytes held at once. */
  readonly limit: number;
  /** Bytes held now. */
  inUse(): number;
  /** Holds `n` more bytes; false (and nothing held) when they do not fit. */
  tryTake(n: number): boolean;
  /** Gives back `n` bytes taken before. */
  give(n: number): void;
}

/** The default budget: 64 MiB of request bodies at once (four 16 MiB hook bodies). */
export const DEFAULT_BODY_BUDGET = 64 * 1024 * 1024;

/**
 * Request bodies get at most `limit` bytes, and only of what the daemon-wide
 * memory budget (memory-budget.ts, which unread WebSocket output draws on too)
 * has free: a body and the output the clients leave unread count against one bound.
 */
export function createByteBudget(limit: number = DEFAULT_BODY_BUDGET, shared?: MemoryBudget): ByteBudget {
  if (!(limit > 0)) throw new RangeError(`a byte budget must be positive, got ${limit}`);
  let used = 0;
  return {
    limit,
    inUse: () => used,
    tryTake(n) {
      if (used + n > limit) return false;
      if (shared && !shared.tryReserve(n)) return false;
      used += n;
      return true;
    },
    give(n) {
      const back = Math.min(n, used);
      used -= back;
      shared?.release(back);
    },
  };
}

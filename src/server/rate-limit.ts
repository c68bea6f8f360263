import type { RateLimit } from './types.js';

/** Each this many bytes of a message cost one more rate-limit token (typical events cost one in all). */
const BYTES_PER_TOKEN = 16 * 1024;

/** Tokens a message (or an HTTP body) of `bytes` costs: one, plus one per 16 KiB, so a flood of big messages is a flood too. */
export function messageCost(bytes: number): number {
  return 1 + (Number.isFinite(bytes) && bytes > 0 ? Math.floor(bytes / BYTES_PER_TOKEN) : 0);
}

/** A token bucket: `take(n)` spends n tokens, refilled at `rate` a second up to `burst`. */
export interface TokenBucket {
  /** False (and nothing spent) when fewer than `n` tokens are left. */
  take(n?: number): boolean;
  /** Seconds until `n` tokens are available. */
  waitSeconds(n?: number): number;
}

export function createTokenBucket(limit: RateLimit, now: () => number = Date.now): TokenBucket {
  let tokens = limit.burst;
  let last = now();
  function refill(): void {
    const t = now();
    tokens = Math.min(limit.burst, tokens + ((t - last) / 1000) * limit.rate);
    last = t;
  }
  return {
    take(n = 1) {
      refill();
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
    waitSeconds(n = 1) {
      refill();
      return tokens >= n ? 0 : (n - tokens) / limit.rate;
    },
  };
}

/**
 * Buckets per key (the HTTP client's address). Idle buckets are full again
 * after burst/rate seconds, so they are forgotten then and the map stays small.
 */
export function createBucketMap(limit: RateLimit, now: () => number = Date.now) {
  const buckets = new Map<string, { bucket: TokenBucket; used: number }>();
  const idleMs = Math.max(1000, (limit.burst / limit.rate) * 1000);
  let lastSweep = now();
  return {
    get(key: string): TokenBucket {
      const t = now();
      if (t - lastSweep > idleMs) {
        for (const [k, v] of buckets) if (t - v.used > idleMs) buckets.delete(k);
        lastSweep = t;
      }
      let b = buckets.get(key);
      if (!b) {
        b = { bucket: createTokenBucket(limit, now), used: t };
        buckets.set(key, b);
      }
      b.used = t;
      return b.bucket;
    },
  };
}

import type { WebSocket } from 'ws';
import { createTokenBucket, messageCost } from './rate-limit.js';
import type { RateLimit } from './types.js';

/** A client message as ws hands it over. */
export type RawMessage = Buffer | ArrayBuffer | Buffer[];

/** What the gate needs from its connection. */
export interface InboundOptions {
  rateLimit: RateLimit;
  /** Store backlog (events) now (0 without a store). */
  storeBacklog(): number;
  /** Store backlog past which messages wait, until it is back under half of it. */
  storeHighWater: number;
  /** Called for every message read (before the rate limit): the client is alive. */
  onRead(): void;
  /** Handles one message (the connection's dispatch). */
  handle(raw: RawMessage): void;
  /** The client went over its rate: the connection says so and closes. */
  onRateLimited(): void;
}

/**
 * Flow control of what one client sends: the rate limit is charged when a
 * message is read, and handling it may wait. A client's messages are handled
 * for at most SLICE_MS per turn of the event loop; the rest wait in `pending`
 * (timers, probes and other sockets get their turn in between). Past
 * MAX_PENDING messages or MAX_PENDING_BYTES waiting, the socket is paused
 * until they are handled: TCP pushes back on the client. While the store is
 * too far behind, messages wait too, so a publisher faster than SQLite is
 * slowed down instead of the daemon queueing events in memory without end.
 */
export interface InboundGate {
  /** Takes a token for each extra event of a batch message; false: over the rate. */
  take(tokens: number): boolean;
  /** The peer is gone: what it sent before closing is still handled, then nothing more. */
  drainAll(): void;
  /** Drops everything waiting; nothing more is handled. */
  stop(): void;
}

const SLICE_MS = 10;
const MAX_PENDING = 256;
const MAX_PENDING_BYTES = 1024 * 1024;
// How often a client held back by the store's backlog is looked at again.
const HOLD_RETRY_MS = 10;

function rawSize(raw: RawMessage): number {
  return Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : raw.byteLength;
}

export function createInboundGate(ws: WebSocket, opts: InboundOptions): InboundGate {
  const bucket = createTokenBucket(opts.rateLimit);
  // Messages read (and charged to the bucket) but not handled yet, oldest first.
  let pending: RawMessage[] = [];
  let pendingHead = 0;
  let pendingBytes = 0;
  let paused = false;
  let stopped = false;
  // When this turn's slice began (-1: none in progress).
  let sliceStart = -1;
  let held = false;
  let holdTimer: NodeJS.Timeout | null = null;

  function storeHolds(): boolean {
    const backlog = opts.storeBacklog();
    held = held ? backlog > opts.storeHighWater / 2 : backlog > opts.storeHighWater;
    if (held && !holdTimer && !stopped) {
      holdTimer = setTimeout(() => {
        holdTimer = null;
        if (!stopped) drain();
      }, HOLD_RETRY_MS);
    }
    return held;
  }

  // The rate limit is charged when a message is read, and handling it may
  // wait: charging it when handled measured how fast the server got through
  // the messages, so a server slower than the limit (big payloads, a busy
  // store) never saw a flood, and handled all of it in one go.
  function onMessage(raw: RawMessage): void {
    if (stopped) return;
    opts.onRead();
    if (!bucket.take(messageCost(rawSize(raw)))) return opts.onRateLimited();
    if (pendingHead === pending.length && !storeHolds() && sliceOpen()) {
      opts.handle(raw);
      return;
    }
    pending.push(raw);
    pendingBytes += rawSize(raw);
    if (!paused && (pending.length - pendingHead >= MAX_PENDING || pendingBytes >= MAX_PENDING_BYTES)) {
      paused = true;
      ws.pause();
    }
  }

  /** True while this turn's slice lasts; the first call of a turn starts one and books the next turn. */
  function sliceOpen(): boolean {
    const now = performance.now();
    if (sliceStart < 0) {
      sliceStart = now;
      setImmediate(nextTurn);
      return true;
    }
    return now - sliceStart < SLICE_MS;
  }

  function nextTurn(): void {
    sliceStart = -1;
    if (pendingHead < pending.length && !stopped) drain();
  }

  function takePending(): RawMessage {
    const raw = pending[pendingHead]!;
    pending[pendingHead++] = undefined as unknown as RawMessage;
    pendingBytes -= rawSize(raw);
    if (pendingHead === pending.length) {
      pending = [];
      pendingHead = 0;
    } else if (pendingHead >= MAX_PENDING && pendingHead * 2 >= pending.length) {
      // A queue that never empties would otherwise keep every slot it ever used.
      pending = pending.slice(pendingHead);
      pendingHead = 0;
    }
    return raw;
  }

  function drain(): void {
    while (pendingHead < pending.length && !stopped && !storeHolds() && sliceOpen()) opts.handle(takePending());
    if (paused && !stopped && pending.length - pendingHead <= MAX_PENDING / 4 && pendingBytes <= MAX_PENDING_BYTES / 4) {
      paused = false;
      ws.resume();
    }
  }

  function stop(): void {
    stopped = true;
    if (holdTimer) clearTimeout(holdTimer);
    holdTimer = null;
    pending = [];
    pendingHead = 0;
    pendingBytes = 0;
  }

  ws.on('message', onMessage);
  return {
    take: (tokens) => bucket.take(tokens),
    drainAll() {
      while (pendingHead < pending.length && !stopped) opts.handle(takePending());
      stop();
    },
    stop,
  };
}

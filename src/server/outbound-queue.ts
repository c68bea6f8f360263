import type { WebSocket } from 'ws';
import type { BusEntry } from '../bus/types.js';
import { batchFrame, compatJson, compatWireFrame, eventWireFrame, type EntryJson } from './frames.js';
import type { MemoryBudget } from './memory-budget.js';
import type { SlowConsumerLimits } from './types.js';
import { framePayload, rawSocketOf } from './ws-internals.js';

/** What one connection's outbound side needs. */
export interface OutboundOptions {
  limits: SlowConsumerLimits;
  /** The daemon-wide budget every connection's unread output counts against. */
  budget: MemoryBudget;
  /** The observability dashboard's `/stream`: events in its shape (compatJson). */
  compat?: boolean;
  /** The client is too far behind (its own budget or the daemon's): the connection closes it. Called at most once per burst. */
  onTooSlow(why: string): void;
}

/**
 * Everything a connection sends, in order: live events (one prebuilt frame
 * each, gathered for the rest of the tick and written with one write),
 * slow-consumer batches, pages (`initial`) and control messages. Every byte
 * held for the client counts against its own budget (`limits.hardLimit`) and
 * the daemon's (`budget`): queued events when queued, bytes in the socket's
 * buffer as they are seen there (after each write and at each 'drain').
 */
export interface Outbound {
  /**
   * A live event from the bus: synchronous, never blocks the publisher. Past
   * the high watermark events are queued (and later coalesced into batches);
   * past the connection's hard limit or the daemon's budget the client is too slow.
   */
  deliver(entry: BusEntry): void;
  /** A complete frame (frames.ts), after those sent before it. */
  sendFrame(frame: Buffer): void;
  /** A message through ws (control, errors), after what is gathered; written at once. */
  send(message: string | Buffer): void;
  /** A page (`initial`), written at once so the budget sees it before any other page is sized. */
  sendPage(frame: Buffer): void;
  /** Characters of events a page may hold now; 0: wait (whenRoom). */
  pageRoom(): number;
  /** Calls `fn` once when a page may fit (the socket drained, or the daemon's budget freed); returns a cancel function. */
  whenRoom(fn: () => void): () => void;
  /** Drops queued events (a new subscription starts from its own snapshot). */
  clearQueue(): void;
  /** Writes what is gathered now (before a close frame). */
  flushGathered(): void;
  /** Bytes buffered in the socket, gathered and queued. */
  backlog(): number;
  /** Stops sending: gathered and queued events are dropped and their budget released. */
  stop(): void;
  /** The socket closed: everything still counted is released. */
  dispose(): void;
  /** Ends our side of the socket now (after what was written), if there is one we can reach. */
  endSocket(): void;
}

const FLUSH_MS = 20;
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_EVENTS = 2000;
/** The largest page, and the smallest (which may use the half of the budget kept for live events). */
const PAGE_MAX = 4 * 1024 * 1024;
const PAGE_MIN = 64 * 1024;
/** A page waiting for room looks again this often in any case. */
const ROOM_POLL_MS = 250;

/** How many of the queue's first events go in one batch, and their size. */
function batchSize(queue: readonly BusEntry[]): { n: number; bytes: number } {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && n < MAX_BATCH_EVENTS && bytes < MAX_BATCH_BYTES) bytes += queue[n++]!.json.length;
  return { n, bytes };
}

/** Characters of events a page may hold now (0: wait): see Outbound.pageRoom. */
function pageRoom(backlog: number, limits: SlowConsumerLimits, budget: MemoryBudget): number {
  if (backlog >= limits.highWatermark) return 0;
  // Pages may use a quarter of the daemon's budget; the rest is kept for
  // live events, except for small pages, which never wait behind big ones.
  const free = budget.available() - (budget.limit * 3) / 4;
  if (free >= PAGE_MIN) return Math.min(PAGE_MAX, free);
  return budget.available() >= PAGE_MIN ? PAGE_MIN : 0;
}

/** Calls `fn` once, at the first of: the budget freed room, the socket drained (`setWaiter`'s waiter is called), ROOM_POLL_MS passed. */
function whenRoom(budget: MemoryBudget, setWaiter: (w: (() => void) | null) => void, fn: () => void): () => void {
  let done = false;
  const cancel = (): void => {
    done = true;
    cancelBudget();
    clearInterval(poll);
    setWaiter(null);
  };
  const fire = (): void => {
    if (done) return;
    cancel();
    fn();
  };
  const cancelBudget = budget.whenAvailable(fire);
  const poll = setInterval(fire, ROOM_POLL_MS);
  poll.unref();
  setWaiter(fire);
  return cancel;
}

export function createOutbound(ws: WebSocket, opts: OutboundOptions): Outbound {
  const { limits, budget } = opts;
  const wireFrame = opts.compat ? compatWireFrame : eventWireFrame;
  const json: EntryJson = opts.compat ? compatJson : (e) => e.json;
  const socket = rawSocketOf(ws);
  let queue: BusEntry[] = [];
  let queuedBytes = 0;
  let flushTimer: NodeJS.Timeout | null = null;
  let out: Buffer[] = [];
  let outBytes = 0;
  let outScheduled = false;
  let stopped = false;
  // Bytes of the daemon's budget this connection holds: in its socket's buffer, and queued.
  let socketCharge = 0;
  let queueCharge = 0;
  let roomWaiter: (() => void) | null = null;

  const open = () => !stopped && ws.readyState === ws.OPEN;

  /** The socket's buffer, as counted against the daemon's budget, set to what it holds now. */
  function syncSocket(): void {
    const held = stopped ? 0 : ws.bufferedAmount;
    if (held > socketCharge) budget.reserve(held - socketCharge);
    else if (held < socketCharge) budget.release(socketCharge - held);
    socketCharge = held;
  }

  function onDrain(): void {
    syncSocket();
    if (roomWaiter && backlog() < limits.highWatermark) roomWaiter();
  }
  socket?.on('drain', onDrain);

  function writeOut(): void {
    outScheduled = false;
    if (out.length === 0) return;
    const frames = out;
    const bytes = outBytes;
    out = [];
    outBytes = 0;
    if (!open() || !socket || socket.destroyed) return;
    socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
    syncSocket();
  }

  function sendFrame(frame: Buffer): void {
    if (stopped || ws.readyState !== ws.OPEN) return;
    if (!socket) {
      ws.send(framePayload(frame), { binary: false });
      syncSocket();
      return;
    }
    out.push(frame);
    outBytes += frame.length;
    if (!outScheduled) {
      outScheduled = true;
      process.nextTick(writeOut);
    }
  }

  function backlog(): number {
    return ws.bufferedAmount + outBytes + queuedBytes;
  }

  function releaseQueue(): void {
    queue = [];
    queuedBytes = 0;
    budget.release(queueCharge);
    queueCharge = 0;
    if (flushTimer) clearInterval(flushTimer);
    flushTimer = null;
  }

  function flush(): void {
    while (queue.length > 0 && ws.bufferedAmount + outBytes < limits.highWatermark / 2 && !stopped) {
      const { n, bytes } = batchSize(queue);
      const batch = queue.slice(0, n);
      queue = queue.slice(n);
      queuedBytes -= bytes;
      // From the queue's share to the socket's (counted by the write).
      queueCharge -= bytes;
      budget.release(bytes);
      // /stream (the observability dashboard) takes one event a message, never a batch: its client shows an array as one event.
      if (batch.length === 1 || opts.compat) for (const e of batch) sendFrame(wireFrame(e));
      else sendFrame(batchFrame(batch, json));
    }
    if (queue.length === 0 && flushTimer) {
      clearInterval(flushTimer);
      flushTimer = null;
    }
  }

  // The bus listener (see Outbound.deliver): one slow reader, or many, cost bounded memory.
  function deliver(entry: BusEntry): void {
    if (stopped) return;
    if (queue.length === 0 && ws.bufferedAmount + outBytes < limits.highWatermark) {
      sendFrame(wireFrame(entry));
      return;
    }
    const len = entry.json.length;
    if (!budget.tryReserve(len)) {
      opts.onTooSlow(`the daemon's outbound memory budget (${budget.limit} bytes for all clients) is full`);
      return;
    }
    queue.push(entry);
    queuedBytes += len;
    queueCharge += len;
    if (ws.bufferedAmount + queuedBytes > limits.hardLimit) {
      opts.onTooSlow(`more than ${limits.hardLimit} bytes unread`);
      return;
    }
    if (!flushTimer) flushTimer = setInterval(flush, FLUSH_MS);
  }

  function stop(): void {
    stopped = true;
    out = [];
    outBytes = 0;
    releaseQueue();
    roomWaiter = null;
  }

  return {
    deliver,
    sendFrame,
    send(message) {
      if (!open()) return;
      writeOut();
      ws.send(message, { binary: false });
      syncSocket();
    },
    sendPage(frame) {
      sendFrame(frame);
      writeOut();
    },
    pageRoom: () => pageRoom(backlog(), limits, budget),
    whenRoom: (fn) => whenRoom(budget, (w) => (roomWaiter = w), fn),
    clearQueue: releaseQueue,
    flushGathered: writeOut,
    backlog,
    stop,
    dispose() {
      stop();
      socket?.off('drain', onDrain);
      budget.release(socketCharge);
      socketCharge = 0;
    },
    endSocket: () => void (socket && !socket.destroyed && socket.end()),
  };
}

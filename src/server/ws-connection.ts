import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Bus, BusEntry } from '../bus/types.js';
import { makeError, type ErrorData } from '../schema/errors.js';
import { EventFilterSchema, RegisterDataSchema, type EventFilter } from '../schema/messages.js';
import type { Logger } from '../plugins/types.js';
import { batchFrame, errorFrame, eventFrame, initialFrame } from './frames.js';
import { createTokenBucket } from './rate-limit.js';
import type { RateLimit, SlowConsumerLimits } from './types.js';

/** What a connection needs from the hub. */
export interface ConnectionDeps {
  bus: Bus;
  limits: SlowConsumerLimits;
  rateLimit: RateLimit;
  history: number;
  replayCap: number;
  logger?: Logger;
  /** Called once the client registered as a component. */
  onRegister(conn: Connection, previous: string | null): void;
}

/** One WebSocket client of the bus. */
export interface Connection {
  readonly id: string;
  readonly ws: WebSocket;
  readonly remote: string;
  readonly connectedAt: number;
  component: string | null;
  /** Cleared at each ping, set by the pong. */
  alive: boolean;
  /** When the client last sent a message or a pong. */
  lastSeen: number;
  /** Set when the server closed the connection (rate limit, slow consumer): the peer may never see the close frame. */
  serverClose: { code: number; reason: string } | null;
  /** Sends `initial` for the filter and subscribes, with no await in between. */
  subscribe(filter: EventFilter): void;
  /** Bytes buffered in the socket plus events queued for a batch. */
  backlog(): number;
  /** A control frame (heartbeat, error): sent at once, not queued. */
  sendControl(frame: string | Buffer): void;
  /** Stops delivery; called when the socket closed. */
  dispose(): void;
}

const FLUSH_MS = 20;
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_EVENTS = 2000;

function schemaError(message: string, context?: unknown): ErrorData {
  return makeError('WS003', 'corral', message, { severity: 'warning', ...(context !== undefined ? { context } : {}) });
}

/** Wraps an accepted WebSocket: delivery with slow-consumer batching, client messages, rate limit. */
export function createConnection(ws: WebSocket, remote: string, deps: ConnectionDeps): Connection {
  const { bus, limits } = deps;
  const bucket = createTokenBucket(deps.rateLimit);
  let unsubscribe: (() => void) | null = null;
  let queue: BusEntry[] = [];
  let queuedBytes = 0;
  let flushTimer: NodeJS.Timeout | null = null;
  let closing = false;

  // The socket under the WebSocket (ws keeps it as `_socket`). Corking it for
  // the rest of the tick turns the many frames one publish burst writes into
  // one writev instead of one system call per frame.
  const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void; destroyed?: boolean } })._socket;
  let corked = false;
  function uncork(): void {
    corked = false;
    if (socket && !socket.destroyed) socket.uncork();
  }

  function sendRaw(frame: string | Buffer): void {
    if (closing || ws.readyState !== ws.OPEN) return;
    if (socket && !corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    ws.send(frame, { binary: false });
  }

  function sendError(error: ErrorData): void {
    sendRaw(errorFrame(error));
  }

  function stopQueue(): void {
    queue = [];
    queuedBytes = 0;
    if (flushTimer) clearInterval(flushTimer);
    flushTimer = null;
  }

  // Close, then cut the socket shortly after: a peer that stopped reading
  // would never read the close frame, and its buffers must be freed.
  function closeWith(code: number, reason: string): void {
    if (closing) return;
    closing = true;
    conn.serverClose = { code, reason };
    stopQueue();
    unsubscribe?.();
    unsubscribe = null;
    try {
      ws.close(code, reason);
    } catch {}
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  function flush(): void {
    while (queue.length > 0 && ws.bufferedAmount < limits.highWatermark / 2 && !closing) {
      let bytes = 0;
      let n = 0;
      while (n < queue.length && n < MAX_BATCH_EVENTS && bytes < MAX_BATCH_BYTES) bytes += queue[n++]!.json.length;
      const batch = queue.slice(0, n);
      queue = queue.slice(n);
      queuedBytes -= bytes;
      sendRaw(batch.length === 1 ? eventFrame(batch[0]!) : batchFrame(batch));
    }
    if (queue.length === 0 && flushTimer) {
      clearInterval(flushTimer);
      flushTimer = null;
    }
  }

  // The bus listener: synchronous, never blocks the publisher. Past the high
  // watermark events are queued (and later coalesced into batches); past the
  // hard limit the subscriber is dropped, so one slow reader costs bounded memory.
  function deliver(entry: BusEntry): void {
    if (closing) return;
    if (queue.length === 0 && ws.bufferedAmount < limits.highWatermark) {
      sendRaw(eventFrame(entry));
      return;
    }
    queue.push(entry);
    queuedBytes += entry.json.length;
    if (ws.bufferedAmount + queuedBytes > limits.hardLimit) {
      deps.logger?.warn('dropping a slow WebSocket subscriber', { client: conn.id, remote, buffered: ws.bufferedAmount, queued: queuedBytes });
      closeWith(1013, 'slow consumer: too far behind, reconnect and resume with ?after=SEQ');
      return;
    }
    if (!flushTimer) flushTimer = setInterval(flush, FLUSH_MS);
  }

  function subscribe(filter: EventFilter): void {
    unsubscribe?.();
    stopQueue();
    let entries: BusEntry[];
    let extra: { truncated?: boolean; next_cursor?: string | null } = {};
    if (filter.after !== undefined) {
      const page = bus.history(filter, { order: 'asc', limit: deps.replayCap });
      entries = page.events;
      if (page.next_cursor !== null) extra = { truncated: true, next_cursor: page.next_cursor };
    } else {
      entries = deps.history > 0 ? bus.history(filter, { order: 'desc', limit: deps.history }).events : [];
    }
    // No await between the snapshot and the subscription: every later event is
    // delivered live, every earlier one is in the snapshot, none twice.
    // With nothing to send, the cursor is where the client stands, so a reconnect never replays the whole store.
    sendRaw(initialFrame(entries, extra, filter.after ?? bus.lastSeq()));
    unsubscribe = bus.subscribe(filter, deliver);
  }

  function handlePublish(data: unknown): void {
    const items = Array.isArray(data) ? data : [data];
    items.forEach((item, index) => {
      const res = bus.publish(item);
      if (!res.ok) {
        const ctx = (res.error.context ?? {}) as Record<string, unknown>;
        sendError({ ...res.error, context: Array.isArray(data) ? { ...ctx, index } : ctx });
      }
    });
  }

  function handleMessage(raw: Buffer | ArrayBuffer | Buffer[]): void {
    if (closing) return;
    conn.lastSeen = Date.now();
    if (!bucket.take(1)) return rateLimited();
    const text = Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw as ArrayBuffer).toString('utf8');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      sendError(makeError('WS002', 'corral', `message is not parseable JSON: ${(err as Error).message}`, { severity: 'warning' }));
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      sendError(schemaError('message must be a JSON object with a "type" field', { issues: [{ path: '(root)', message: 'expected an object' }] }));
      return;
    }
    const { type, data } = msg as { type?: unknown; data?: unknown };
    if (type === 'event') {
      if (Array.isArray(data) && data.length > 1 && !bucket.take(data.length - 1)) return rateLimited();
      if (data === undefined) {
        sendError(schemaError('data: an event message needs "data" (one event or an array)', { issues: [{ path: 'data', message: 'required' }] }));
        return;
      }
      handlePublish(data);
    } else if (type === 'register') {
      const parsed = RegisterDataSchema.safeParse(data);
      if (!parsed.success) return sendError(zodError('register', parsed.error.issues));
      const previous = conn.component;
      conn.component = parsed.data.component;
      deps.onRegister(conn, previous);
    } else if (type === 'subscribe') {
      const parsed = EventFilterSchema.safeParse(data ?? {});
      if (!parsed.success) return sendError(zodError('subscribe', parsed.error.issues));
      subscribe(parsed.data);
    } else {
      sendError(schemaError(`type: expected "register", "subscribe" or "event", got ${JSON.stringify(type)}`, { issues: [{ path: 'type', message: 'unknown message type' }] }));
    }
  }

  function rateLimited(): void {
    sendError(makeError('WS004', 'corral', `rate limited: more than ${deps.rateLimit.rate} messages/s (burst ${deps.rateLimit.burst}); closing`, { severity: 'warning' }));
    closeWith(1008, 'rate limited');
  }

  const conn: Connection = {
    id: randomUUID(),
    ws,
    remote,
    connectedAt: Date.now(),
    component: null,
    alive: true,
    lastSeen: Date.now(),
    serverClose: null,
    subscribe,
    backlog: () => ws.bufferedAmount + queuedBytes,
    sendControl: sendRaw,
    dispose() {
      closing = true;
      stopQueue();
      unsubscribe?.();
      unsubscribe = null;
    },
  };
  ws.on('message', handleMessage);
  ws.on('pong', () => {
    conn.alive = true;
    conn.lastSeen = Date.now();
  });
  return conn;
}

function zodError(type: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): ErrorData {
  const list = issues.map((i) => ({ path: ['data', ...i.path.map(String)].join('.'), message: i.message }));
  return schemaError(`${type} message fails the schema: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues: list });
}

import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Bus, BusEntry } from '../bus/types.js';
import { makeError, type ErrorData } from '../schema/errors.js';
import { EventFilterSchema, RegisterDataSchema, type EventFilter } from '../schema/messages.js';
import { CORRAL_SOURCE, clientEventIssues, isReserved, type RuleIssue } from '../schema/publisher-rules.js';
import { didYouMean } from '../config/suggest.js';
import type { Logger } from '../plugins/types.js';
import { batchFrame, compatJson, compatWireFrame, errorFrame, eventWireFrame, initialFrame } from './frames.js';
import { resolveTimePoints } from './query-filter.js';
import { createTokenBucket, messageCost } from './rate-limit.js';
import type { RateLimit, SlowConsumerLimits } from './types.js';

/** What a connection needs from the hub. */
export interface ConnectionDeps {
  bus: Bus;
  limits: SlowConsumerLimits;
  rateLimit: RateLimit;
  history: number;
  replayCap: number;
  /** Store backlog (events) past which this client's messages wait, until it is back under half of it. */
  storeHighWater: number;
  logger?: Logger;
  /** The observability dashboard's `/stream`: events are sent in its shape (compatJson). */
  compat?: boolean;
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
  /** What the client said of itself when it registered (`version`, `capabilities`), shown with the connections. */
  version: string | null;
  capabilities: string[];
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
// A client's messages are handled for at most SLICE_MS per turn of the event
// loop; the rest wait in `pending` (timers, probes and other sockets get their
// turn in between). Past MAX_PENDING messages or MAX_PENDING_BYTES waiting,
// the socket is paused until they are handled: TCP pushes back on the client.
const SLICE_MS = 10;
const MAX_PENDING = 256;
const MAX_PENDING_BYTES = 1024 * 1024;
// How often a client held back by the store's backlog is looked at again.
const HOLD_RETRY_MS = 10;

type RawMessage = Buffer | ArrayBuffer | Buffer[];

function rawSize(raw: RawMessage): number {
  return Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : raw.byteLength;
}

function schemaError(message: string, context?: unknown): ErrorData {
  return makeError('WS003', 'corral', message, { severity: 'warning', ...(context !== undefined ? { context } : {}) });
}

/** Wraps an accepted WebSocket: delivery with slow-consumer batching, client messages, rate limit. */
export function createConnection(ws: WebSocket, remote: string, deps: ConnectionDeps): Connection {
  const { bus, limits } = deps;
  const wireFrame = deps.compat ? compatWireFrame : eventWireFrame;
  const json = deps.compat ? compatJson : (e: BusEntry) => e.json;
  const bucket = createTokenBucket(deps.rateLimit);
  let unsubscribe: (() => void) | null = null;
  let queue: BusEntry[] = [];
  let queuedBytes = 0;
  let flushTimer: NodeJS.Timeout | null = null;
  let closing = false;
  // Messages read (and charged to the bucket) but not handled yet, oldest first.
  let pending: RawMessage[] = [];
  let pendingHead = 0;
  let pendingBytes = 0;
  let paused = false;
  // When this turn's slice began (-1: none in progress).
  let sliceStart = -1;
  // Set while the store is too far behind: messages wait in `pending` (and
  // past MAX_PENDING the socket is paused), so a publisher faster than SQLite
  // is slowed down instead of the daemon queueing events in memory without end.
  let held = false;
  let holdTimer: NodeJS.Timeout | null = null;

  function storeHolds(): boolean {
    const backlog = bus.storeBacklog?.() ?? 0;
    held = held ? backlog > deps.storeHighWater / 2 : backlog > deps.storeHighWater;
    if (held && !holdTimer && !closing) {
      holdTimer = setTimeout(() => {
        holdTimer = null;
        if (!closing) drain();
      }, HOLD_RETRY_MS);
    }
    return held;
  }

  // The socket under the WebSocket (ws keeps it as `_socket`). Event frames
  // are complete WebSocket frames built once per event (frames.ts): they are
  // gathered for the rest of the tick and written with one write, so a
  // publish burst costs each subscriber one system call and no per-frame
  // framing. Anything sent through ws first writes what is gathered, so
  // frames leave in the order they were sent.
  const socket = (ws as unknown as { _socket?: { write(b: Buffer): boolean; end(): void; destroyed?: boolean } })._socket;
  let out: Buffer[] = [];
  let outBytes = 0;
  let outScheduled = false;

  function writeOut(): void {
    outScheduled = false;
    if (out.length === 0) return;
    const frames = out;
    const bytes = outBytes;
    out = [];
    outBytes = 0;
    if (ws.readyState !== ws.OPEN || !socket || socket.destroyed) return;
    socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
  }

  /** Sends a complete frame (eventWireFrame) after the frames sent before it. */
  function sendWire(frame: Buffer): void {
    if (closing || ws.readyState !== ws.OPEN) return;
    if (!socket) {
      // No socket to write to (not a ws internal we know): let ws frame the payload.
      ws.send(frame.subarray(frame[1]! === 127 ? 10 : frame[1]! === 126 ? 4 : 2), { binary: false });
      return;
    }
    out.push(frame);
    outBytes += frame.length;
    if (!outScheduled) {
      outScheduled = true;
      process.nextTick(writeOut);
    }
  }

  function sendRaw(frame: string | Buffer): void {
    if (closing || ws.readyState !== ws.OPEN) return;
    writeOut();
    ws.send(frame, { binary: false });
  }

  function sendError(error: ErrorData): void {
    sendRaw(errorFrame(error));
  }

  function stopHold(): void {
    if (holdTimer) clearTimeout(holdTimer);
    holdTimer = null;
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
    // What was sent before the close goes before the close frame.
    writeOut();
    closing = true;
    conn.serverClose = { code, reason };
    stopQueue();
    dropPending();
    unsubscribe?.();
    unsubscribe = null;
    try {
      ws.close(code, reason);
    } catch {}
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  function flush(): void {
    while (queue.length > 0 && ws.bufferedAmount + outBytes < limits.highWatermark / 2 && !closing) {
      let bytes = 0;
      let n = 0;
      while (n < queue.length && n < MAX_BATCH_EVENTS && bytes < MAX_BATCH_BYTES) bytes += queue[n++]!.json.length;
      const batch = queue.slice(0, n);
      queue = queue.slice(n);
      queuedBytes -= bytes;
      if (batch.length === 1) sendWire(wireFrame(batch[0]!));
      else if (deps.compat) for (const e of batch) sendWire(wireFrame(e)); // /stream: one event a message, never a batch
      else sendRaw(batchFrame(batch, json));
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
    if (queue.length === 0 && ws.bufferedAmount + outBytes < limits.highWatermark) {
      sendWire(wireFrame(entry));
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
    sendRaw(initialFrame(entries, extra, filter.after ?? bus.lastSeq(), json));
    unsubscribe = bus.subscribe(filter, deliver);
  }

  function handlePublish(data: unknown): void {
    const items = Array.isArray(data) ? data : [data];
    items.forEach((item, index) => {
      const rules = clientEventIssues(item);
      if (rules.length > 0) {
        const where = (i: RuleIssue) => (Array.isArray(data) ? `[${index}].${i.path}` : i.path);
        sendError(schemaError(`event refused: ${rules.map((i) => `${where(i)}: ${i.message}`).join('; ')}`, { issues: rules, ...(Array.isArray(data) ? { index } : {}) }));
        return;
      }
      let res;
      try {
        res = bus.publish(item);
      } catch (err) {
        // Nothing one client sends may take the daemon down: answer it and carry on.
        deps.logger?.warn('publishing a client event failed', { remote, error: (err as Error).message });
        sendError(schemaError(`event could not be published: ${(err as Error).message}`, Array.isArray(data) ? { index } : undefined));
        return;
      }
      if (!res.ok) {
        const ctx = (res.error.context ?? {}) as Record<string, unknown>;
        sendError({ ...res.error, context: Array.isArray(data) ? { ...ctx, index } : ctx });
      }
    });
  }

  // The rate limit is charged when a message is read, and handling it may
  // wait: charging it when handled measured how fast the server got through
  // the messages, so a server slower than the limit (big payloads, a busy
  // store) never saw a flood, and handled all of it in one go.
  function onMessage(raw: RawMessage): void {
    if (closing) return;
    conn.lastSeen = Date.now();
    if (!bucket.take(messageCost(rawSize(raw)))) return rateLimited();
    if (pendingHead === pending.length && !storeHolds() && sliceOpen()) {
      handleMessage(raw);
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
    if (pendingHead < pending.length && !closing) drain();
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
    while (pendingHead < pending.length && !closing && !storeHolds() && sliceOpen()) handleMessage(takePending());
    if (paused && !closing && pending.length - pendingHead <= MAX_PENDING / 4 && pendingBytes <= MAX_PENDING_BYTES / 4) {
      paused = false;
      ws.resume();
    }
  }

  function dropPending(): void {
    stopHold();
    pending = [];
    pendingHead = 0;
    pendingBytes = 0;
  }

  function handleMessage(raw: RawMessage): void {
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
      const unknown = unknownKeys(data, REGISTER_KEYS);
      if (unknown.length > 0) return sendError(issuesError('register', unknown));
      const parsed = RegisterDataSchema.safeParse(data);
      if (!parsed.success) return sendError(zodError('register', parsed.error.issues));
      // Only the daemon speaks as corral: a client registered under its name would put the daemon's own start and stop in the history.
      if (isReserved(parsed.data.component)) {
        return sendError(issuesError('register', [{ path: 'data.component', message: `"${CORRAL_SOURCE}" is reserved for the daemon itself; register under your component's name` }]));
      }
      const previous = conn.component;
      conn.component = parsed.data.component;
      // Kept so who is connected, and what each client can do (the monitor's display, filtering), can be seen.
      conn.version = parsed.data.version ?? null;
      conn.capabilities = parsed.data.capabilities ?? [];
      deps.onRegister(conn, previous);
    } else if (type === 'subscribe') {
      // A refused subscribe leaves the previous filter in force.
      const unknown = unknownKeys(data, FILTER_KEYS);
      if (unknown.length > 0) return sendError(issuesError('subscribe', unknown));
      // since/until as the HTTP API takes them: Unix ms, an ISO date or an age (5m).
      const isObject = data !== null && typeof data === 'object' && !Array.isArray(data);
      const raw: unknown = isObject ? { ...(data as Record<string, unknown>) } : (data ?? {});
      const bad = isObject ? resolveTimePoints(raw as Record<string, unknown>) : null;
      if (bad) return sendError(issuesError('subscribe', [{ path: `data.${bad.key}`, message: bad.message }]));
      const parsed = EventFilterSchema.safeParse(raw);
      if (!parsed.success) return sendError(zodError('subscribe', parsed.error.issues));
      subscribe(parsed.data);
    } else {
      sendError(schemaError(`type: expected "register", "subscribe" or "event", got ${JSON.stringify(type)}`, { issues: [{ path: 'type', message: 'unknown message type' }] }));
    }
  }

  // Messages read but not handled yet are dropped with the rest, and the
  // socket is no longer read: a refused flood costs nothing more. The error
  // and the close frame are flushed, then our side ends, so the client sees
  // the close at once rather than when the socket is cut (the close handshake
  // cannot finish: its answer is behind the flood we no longer read).
  function rateLimited(): void {
    sendError(makeError('WS004', 'corral', `rate limited: more than ${deps.rateLimit.rate} messages/s (burst ${deps.rateLimit.burst}); closing`, { severity: 'warning' }));
    closeWith(1008, 'rate limited');
    ws.pause();
    if (socket && !socket.destroyed) socket.end();
  }

  const conn: Connection = {
    id: randomUUID(),
    ws,
    remote,
    connectedAt: Date.now(),
    component: null,
    version: null,
    capabilities: [],
    alive: true,
    lastSeen: Date.now(),
    serverClose: null,
    subscribe,
    backlog: () => ws.bufferedAmount + outBytes + queuedBytes,
    sendControl: sendRaw,
    dispose() {
      // The peer is gone: what it sent before closing is still handled (a
      // register then gets its component.started before the hub's component.stopped).
      while (pendingHead < pending.length && !closing) handleMessage(takePending());
      dropPending();
      closing = true;
      out = [];
      outBytes = 0;
      stopQueue();
      unsubscribe?.();
      unsubscribe = null;
    },
  };
  ws.on('message', onMessage);
  ws.on('pong', () => {
    conn.alive = true;
    conn.lastSeen = Date.now();
  });
  return conn;
}

const REGISTER_KEYS = Object.keys(RegisterDataSchema.shape);
const FILTER_KEYS = Object.keys(EventFilterSchema.shape);

/** Keys of `data` the message does not know, each with the likely correction: a typo must not pass as "no filter". */
function unknownKeys(data: unknown, known: readonly string[]): RuleIssue[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  return Object.keys(data)
    .filter((key) => !known.includes(key))
    .map((key) => ({ path: `data.${key}`, message: `unknown key "${key}"${didYouMean(key, known) || ` (known: ${known.join(', ')})`}` }));
}

function issuesError(type: string, list: RuleIssue[]): ErrorData {
  return schemaError(`${type} message fails the schema: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues: list });
}

function zodError(type: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): ErrorData {
  return issuesError(type, issues.map((i) => ({ path: ['data', ...i.path.map(String)].join('.'), message: i.message })));
}

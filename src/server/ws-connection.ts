import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { filterTooBig } from '../bus/filter.js';
import type { Bus } from '../bus/types.js';
import { makeError, type ErrorData } from '../schema/errors.js';
import { EventFilterSchema, RegisterDataSchema, type EventFilter } from '../schema/messages.js';
import { CORRAL_SOURCE, clientEventIssues, type RuleIssue } from '../schema/publisher-rules.js';
import { didYouMean } from '../config/suggest.js';
import type { Logger } from '../plugins/types.js';
import { compatJson, errorFrame, initialFrame } from './frames.js';
import { createInboundGate, type RawMessage } from './inbound-gate.js';
import type { MemoryBudget } from './memory-budget.js';
import { createOutbound } from './outbound-queue.js';
import { resolveTimePoints } from './query-filter.js';
import type { RateLimit, SlowConsumerLimits } from './types.js';

/** What a connection needs from the hub. */
export interface ConnectionDeps {
  bus: Bus;
  limits: SlowConsumerLimits;
  /** The daemon-wide budget of unread output (memory-budget.ts). */
  budget: MemoryBudget;
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
  /** Set when the server closed the connection (rate limit, slow consumer, an internal error): the peer may never see the close frame. */
  serverClose: { code: number; reason: string } | null;
  /** Sends `initial` for the filter and subscribes, with no await in between (once a page fits: see subscribe). */
  subscribe(filter: EventFilter): void;
  /** Bytes buffered in the socket plus events queued for a batch. */
  backlog(): number;
  /** A control frame (heartbeat, error): sent at once, not queued. */
  sendControl(frame: string | Buffer): void;
  /** Closes the connection from the server's side (and cuts it shortly after). */
  closeWith(code: number, reason: string): void;
  /** Stops delivery; called when the socket closed. */
  dispose(): void;
}

function schemaError(message: string, context?: unknown): ErrorData {
  return makeError('WS003', 'corral', message, { severity: 'warning', ...(context !== undefined ? { context } : {}) });
}

/**
 * Wraps an accepted WebSocket: it dispatches the client's messages
 * (register, subscribe, event) and sends what the bus delivers. Sending is
 * the outbound queue's (outbound-queue.ts), reading and its flow control the
 * inbound gate's (inbound-gate.ts). Nothing a client sends can throw past
 * here: a message whose handling fails ends this connection (1011), logged.
 */
export function createConnection(ws: WebSocket, remote: string, deps: ConnectionDeps): Connection {
  const { bus } = deps;
  let unsubscribe: (() => void) | null = null;
  let cancelWait: (() => void) | null = null;
  let closing = false;
  const json = deps.compat ? compatJson : undefined;

  const outbound = createOutbound(ws, {
    limits: deps.limits,
    budget: deps.budget,
    ...(deps.compat ? { compat: true } : {}),
    onTooSlow(why) {
      deps.logger?.warn('dropping a slow WebSocket subscriber', { client: conn.id, remote, why, backlog: outbound.backlog() });
      closeWith(1013, 'slow consumer: too far behind, reconnect and resume with ?after=SEQ');
    },
  });
  const inbound = createInboundGate(ws, {
    rateLimit: deps.rateLimit,
    storeBacklog: () => bus.storeBacklog?.() ?? 0,
    storeHighWater: deps.storeHighWater,
    onRead: () => (conn.lastSeen = Date.now()),
    handle: guarded,
    onRateLimited: rateLimited,
  });

  function sendError(error: ErrorData): void {
    outbound.send(errorFrame(error));
  }

  function stopLive(): void {
    cancelWait?.();
    cancelWait = null;
    unsubscribe?.();
    unsubscribe = null;
  }

  // Close, then cut the socket shortly after: a peer that stopped reading
  // would never read the close frame, and its buffers must be freed.
  function closeWith(code: number, reason: string): void {
    if (closing) return;
    // What was sent before the close goes before the close frame.
    outbound.flushGathered();
    closing = true;
    conn.serverClose = { code, reason };
    outbound.stop();
    inbound.stop();
    stopLive();
    try {
      ws.close(code, reason);
    } catch {}
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  /**
   * The `initial` page for the filter, then live delivery. The page is
   * bounded by count (`replayCap` for a replay, `history` otherwise) and by
   * bytes: what the client's and the daemon's budgets leave (outbound-queue.ts
   * pageRoom); with no room it waits, subscribed to nothing, until there is.
   * A replay that stops short says `truncated` with `next_cursor`; the client
   * asks for the next page with a `subscribe` whose `after` is that cursor.
   * No await between the page and the subscription: every later event is
   * delivered live, every earlier one is in the page, none twice.
   */
  function subscribe(filter: EventFilter): void {
    stopLive();
    outbound.clearQueue();
    if (closing) return;
    const room = outbound.pageRoom();
    if (room === 0) {
      cancelWait = outbound.whenRoom(() => {
        cancelWait = null;
        if (!closing) guardedCall(() => subscribe(filter));
      });
      return;
    }
    let extra: { truncated?: boolean; next_cursor?: string | null } = {};
    let entries;
    if (filter.after !== undefined) {
      const page = bus.history(filter, { order: 'asc', limit: deps.replayCap, maxBytes: room });
      entries = page.events;
      if (page.next_cursor !== null) extra = { truncated: true, next_cursor: page.next_cursor };
    } else {
      // History is the newest events that fit; older ones are GET /events's.
      entries = deps.history > 0 ? bus.history(filter, { order: 'desc', limit: deps.history, maxBytes: room }).events : [];
    }
    // With nothing to send, the cursor is where the client stands, so a reconnect never replays the whole store.
    outbound.sendPage(initialFrame(entries, extra, filter.after ?? bus.lastSeq(), json));
    unsubscribe = bus.subscribe(filter, outbound.deliver);
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

  /** Runs a step of this connection; an exception ends this connection only (1011), logged, never the daemon. */
  function guardedCall(step: () => void): void {
    try {
      step();
    } catch (err) {
      deps.logger?.error('a WebSocket message could not be handled; closing that connection', { client: conn.id, remote, error: (err as Error).stack ?? String(err) });
      closeWith(1011, 'internal error handling your message; see the corral log');
    }
  }

  function guarded(raw: RawMessage): void {
    if (!closing) guardedCall(() => handleMessage(raw));
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
      if (Array.isArray(data) && data.length > 1 && !inbound.take(data.length - 1)) return rateLimited();
      if (data === undefined) {
        sendError(schemaError('data: an event message needs "data" (one event or an array)', { issues: [{ path: 'data', message: 'required' }] }));
        return;
      }
      handlePublish(data);
    } else if (type === 'register') handleRegister(data);
    else if (type === 'subscribe') handleSubscribe(data);
    else {
      sendError(schemaError(`type: expected "register", "subscribe" or "event", got ${JSON.stringify(type)}`, { issues: [{ path: 'type', message: 'unknown message type' }] }));
    }
  }

  function handleRegister(data: unknown): void {
    const unknown = unknownKeys(data, REGISTER_KEYS);
    if (unknown.length > 0) return sendError(issuesError('register', unknown));
    const parsed = RegisterDataSchema.safeParse(data);
    if (!parsed.success) return sendError(zodError('register', parsed.error.issues));
    // Only the daemon speaks as corral: a client registered under its name would put the daemon's own start and stop in the history.
    if (parsed.data.component === CORRAL_SOURCE) {
      return sendError(issuesError('register', [{ path: 'data.component', message: `"${CORRAL_SOURCE}" is reserved for the daemon itself; register under your component's name` }]));
    }
    const previous = conn.component;
    conn.component = parsed.data.component;
    // Kept so who is connected, and what each client can do (the monitor's display, filtering), can be seen.
    conn.version = parsed.data.version ?? null;
    conn.capabilities = parsed.data.capabilities ?? [];
    deps.onRegister(conn, previous);
  }

  function handleSubscribe(data: unknown): void {
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
    const big = filterTooBig(parsed.data);
    if (big) return sendError(issuesError('subscribe', [{ path: `data.${big.key}`, message: big.message }]));
    subscribe(parsed.data);
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
    outbound.endSocket();
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
    subscribe: (filter) => guardedCall(() => subscribe(filter)),
    backlog: outbound.backlog,
    sendControl: (frame) => outbound.send(frame),
    closeWith,
    dispose() {
      // The peer is gone: what it sent before closing is still handled (a
      // register then gets its component.started before the hub's component.stopped).
      if (!closing) inbound.drainAll();
      inbound.stop();
      closing = true;
      stopLive();
      outbound.dispose();
    },
  };
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

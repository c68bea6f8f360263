import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Bus } from '../bus/types.js';
import { makeError, type ErrorData } from '../schema/errors.js';
import type { EventFilter } from '../schema/messages.js';
import type { Logger } from '../plugins/types.js';
import { parseClientMessage, publishClientEvents, type ClientMessage } from './client-messages.js';
import { compatJson, errorFrame } from './frames.js';
import { createInboundGate, type RawMessage } from './inbound-gate.js';
import type { MemoryBudget } from './memory-budget.js';
import { createOutbound } from './outbound-queue.js';
import { subscribeWithPage } from './live-hold.js';
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

/** A new client's record, before it registers. */
function freshRecord(ws: WebSocket, remote: string) {
  const now = Date.now();
  return { id: randomUUID(), ws, remote, connectedAt: now, component: null, version: null, capabilities: [], alive: true, lastSeen: now, serverClose: null };
}

/** A client's `register`: who it is and what it can do (shown with the connections, used by the monitor); returns the component it was before. */
function register(conn: Connection, data: { component: string; version?: string | undefined; capabilities?: string[] | undefined }): string | null {
  const previous = conn.component;
  conn.component = data.component;
  conn.version = data.version ?? null;
  conn.capabilities = data.capabilities ?? [];
  return previous;
}

/**
 * A client over its message rate: told so (WS004), closed, and no longer
 * read, so a refused flood costs nothing more. The error and the close frame
 * are flushed, then our side ends (`end`), so the client sees the close at
 * once rather than when the socket is cut (the close handshake cannot finish:
 * its answer is behind the flood we no longer read).
 */
function refuseFlood(ws: WebSocket, limit: RateLimit, sendError: (e: ErrorData) => void, close: () => void, end: () => void): void {
  sendError(makeError('WS004', 'corral', `rate limited: more than ${limit.rate} messages/s (burst ${limit.burst}); closing`, { severity: 'warning' }));
  close();
  ws.pause();
  end();
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
    onTooSlow: tooSlow,
  });
  const inbound = createInboundGate(ws, {
    rateLimit: deps.rateLimit,
    storeBacklog: () => bus.storeBacklog?.() ?? 0,
    storeHighWater: deps.storeHighWater,
    onRead: () => (conn.lastSeen = Date.now()),
    handle: guarded,
    onRateLimited: rateLimited,
  });

  const sendError = (error: ErrorData): void => outbound.send(errorFrame(error));

  function tooSlow(why: string): void {
    deps.logger?.warn('dropping a slow WebSocket subscriber', { client: conn.id, remote, why, backlog: outbound.backlog() });
    closeWith(1013, 'slow consumer: too far behind, reconnect and resume with ?after=SEQ');
  }

  function stopLive(): void {
    cancelWait?.();
    cancelWait = null;
    unsubscribe?.();
    unsubscribe = null;
  }

  // Then cut shortly after: a peer that stopped reading never reads the close frame.
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
   * The `initial` page for the filter, then live delivery (live-hold.ts
   * subscribeWithPage: the page is read in slices, live events held until it
   * is sent; none missed, none twice). The page is bounded by count and by
   * what the client's and the daemon's budgets leave (outbound-queue.ts
   * pageRoom); with no room it waits, subscribed to nothing, until there is.
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
    unsubscribe = subscribeWithPage({
      bus,
      filter,
      count: filter.after !== undefined ? deps.replayCap : deps.history,
      room,
      budget: deps.budget,
      hardLimit: deps.limits.hardLimit,
      outbound,
      ...(json ? { json } : {}),
      guarded: guardedCall,
      tooMany: (held) => (
        deps.logger?.warn('dropping a WebSocket subscriber whose live events outgrew its replay', { client: conn.id, remote, held }),
        closeWith(1013, 'slow consumer: too many live events while your replay was read, reconnect and resume with ?after=SEQ')
      ),
    });
  }

  /** Runs a step of this connection; an exception ends this connection only (1011), logged, never the daemon. */
  function guardedCall(step: () => void): void {
    try {
      step();
    } catch (err) {
      failed(err);
    }
  }

  function failed(err: unknown): void {
    deps.logger?.error('a WebSocket message could not be handled; closing that connection', { client: conn.id, remote, error: (err as Error).stack ?? String(err) });
    closeWith(1011, 'internal error handling your message; see the corral log');
  }

  // guardedCall, without a closure per message (this is every published event's path).
  function guarded(raw: RawMessage): void {
    if (closing) return;
    try {
      dispatch(parseClientMessage(raw));
    } catch (err) {
      failed(err);
    }
  }

  const publishFailed = (err: Error): void => deps.logger?.warn('publishing a client event failed', { remote, error: err.message });

  function dispatch(msg: ClientMessage): void {
    if (msg.kind === 'error') return sendError(msg.error);
    if (msg.kind === 'subscribe') return subscribe(msg.filter);
    if (msg.kind === 'register') return deps.onRegister(conn, register(conn, msg.data));
    if (Array.isArray(msg.data) && msg.data.length > 1 && !inbound.take(msg.data.length - 1)) return rateLimited();
    publishClientEvents(bus, msg.data, sendError, publishFailed);
  }

  // Messages read but not handled yet are dropped with the rest (refuseFlood).
  function rateLimited(): void {
    refuseFlood(ws, deps.rateLimit, sendError, () => closeWith(1008, 'rate limited'), outbound.endSocket);
  }

  const conn: Connection = {
    ...freshRecord(ws, remote),
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
  ws.on('pong', () => ((conn.alive = true), (conn.lastSeen = Date.now())));
  return conn;
}

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ErrorData } from '../schema/errors.js';
import type { EventFilter } from '../schema/messages.js';
import { abortHandshake } from './http-util.js';
import { filterFromQuery } from './query-filter.js';
import { createConnection, type Connection } from './ws-connection.js';
import { createMemoryBudget, type MemoryBudget } from './memory-budget.js';
import { createRegistrations } from './registrations.js';
import { CORRAL_SOURCE } from '../schema/publisher-rules.js';
import { errorEventFrame, errorFrame, heartbeatFrame } from './frames.js';
import type { CloseHow, ServerOptions, SlowConsumerLimits } from './types.js';
import { publishOwn } from '../bus/own-events.js';
import type { OwnEventPayloads, OwnEventType } from '../schema/payloads.js';

/** The WebSocket side of the server: accepted connections, heartbeat, pings, error broadcast. */
export interface WsHub {
  /** Completes an upgrade that passed the checks; answers 400 for bad filters. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  clientCount(): number;
  backlog(): number;
  /** The connections, for GET /health (who is connected, what each registered as and can do, last seen). */
  describe(): ConnectionInfo[];
  broadcast(frame: string | Buffer): void;
  broadcastError(error: ErrorData): void;
  /** Closes every connection with `how` (default 1001 "corral is shutting down"), then the WebSocket server. */
  close(how?: CloseHow): Promise<void>;
  /** The daemon-wide budget of unread output (and, later, request bodies) the connections count against. */
  readonly budget: MemoryBudget;
}

/** One bus client as GET /health lists it; `version` and `capabilities` are what its `register` message said. */
export interface ConnectionInfo {
  client_id: string;
  component: string | null;
  version: string | null;
  capabilities: string[];
  remote_address: string;
  connected_at: number;
  last_seen: number;
}

/** The observability dashboard's WebSocket path (served beside the bus's own). */
export const COMPAT_STREAM_PATH = '/stream';

const SHUTDOWN: CloseHow = { code: 1001, reason: 'corral is shutting down' };

/** Close codes after which a registered component counts as stopped, not exited: a normal close, shutdown, a bus rebind. */
const ORDERLY_CLOSE = new Set([1000, 1001, 1012]);

/** A close reason cut to the 123 bytes a close frame allows (on a character boundary). */
function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let cut = '';
  for (const ch of reason) {
    if (Buffer.byteLength(cut + ch) > 123) break;
    cut += ch;
  }
  return cut;
}

/** An HTTP refusal of an upgrade, on the raw socket; ended once written (so the body is not cut off). */

/** True for a component the supervisor runs (its heartbeat lists it). */
function supervises(opts: ServerOptions, name: string): boolean {
  try {
    return Object.hasOwn(opts.heartbeat(), name);
  } catch {
    return false;
  }
}

/** The heartbeat broadcast, and pings: a peer that has not answered the previous ping is gone (terminated). Returns the stop. */
function startTimers(opts: ServerOptions, conns: ReadonlySet<Connection>, broadcast: (frame: string) => void): () => void {
  const heartbeatTimer = setInterval(() => {
    if (conns.size === 0) return;
    let components: ReturnType<ServerOptions['heartbeat']> = {};
    try {
      components = opts.heartbeat();
    } catch (err) {
      opts.logger?.warn('heartbeat status failed', { error: (err as Error).message });
    }
    const now = Date.now();
    broadcast(heartbeatFrame({ components, timestamp: now, next_check: now + opts.heartbeatMs }));
  }, opts.heartbeatMs);
  heartbeatTimer.unref();

  // A peer that has not answered the previous ping is gone: terminate it.
  const pingTimer = setInterval(() => {
    for (const c of conns) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {}
    }
  }, opts.pingMs ?? opts.heartbeatMs);
  pingTimer.unref();
  return () => {
    clearInterval(heartbeatTimer);
    clearInterval(pingTimer);
  };
}

const DEFAULT_LIMITS: SlowConsumerLimits = { highWatermark: 1024 * 1024, hardLimit: 16 * 1024 * 1024 };

/**
 * ws closes a connection whose message is over `maxPayload` with 1009 and no
 * reason (its receiver calls `close(1009)`): the close frame and the
 * ws.disconnected event then say why.
 */
function sayWhyTooBig(ws: WebSocket, conn: Connection, maxPayload: number): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) => {
    if (code !== 1009 || (reason !== undefined && reason.length > 0)) return close(code, reason);
    const why = `message over ${maxPayload} bytes (bus.max_payload)`;
    conn.serverClose ??= { code, reason: why };
    return close(code, why);
  };
}

export function createWsHub(opts: ServerOptions): WsHub {
  const { bus } = opts;
  const limits: SlowConsumerLimits = { ...DEFAULT_LIMITS, ...opts.slowConsumer };
  // permessage-deflate stays off (docs/security.md): its per-socket zlib memory under ws is a known cost.
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload, perMessageDeflate: false, clientTracking: false });
  const budget = opts.memoryBudget ?? createMemoryBudget();
  const conns = new Set<Connection>();

  function publishSelf<K extends OwnEventType>(eventType: K, payload: OwnEventPayloads[K]): void {
    try {
      const res = publishOwn(bus, eventType, payload);
      if (!res.ok) opts.logger?.warn(`cannot publish ${eventType}`, { error: res.error.error_message });
    } catch (err) {
      opts.logger?.error(`cannot publish ${eventType}`, { error: (err as Error).message });
    }
  }

  const names = createRegistrations({ conns, publishSelf, isSupervised: (name) => supervises(opts, name), ...(opts.logger ? { logger: opts.logger } : {}) });

  // corral's own errors (error.* events it published) also go to every
  // connection as `error` messages; a client's error.* event is an ordinary event.
  const unsubscribeErrors = bus.subscribe({ event_type: 'error.*', source: CORRAL_SOURCE }, (entry) => {
    if (conns.size === 0) return;
    broadcast(errorEventFrame(entry));
  });

  function broadcast(frame: string | Buffer): void {
    const buf = typeof frame === 'string' ? Buffer.from(frame) : frame;
    for (const c of conns) c.sendControl(buf);
  }

  const stopTimers = startTimers(opts, conns, broadcast);

  function onConnection(ws: WebSocket, req: IncomingMessage, filter: EventFilter, compat: boolean): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const conn = createConnection(ws, remote, {
      bus,
      limits,
      rateLimit: opts.rateLimit,
      history: opts.history,
      replayCap: opts.replayCap ?? 10_000,
      storeHighWater: opts.storeHighWater ?? 10_000,
      compat,
      budget,
      ...(opts.logger ? { logger: opts.logger } : {}),
      onRegister: names.onRegister,
    });
    conns.add(conn);
    sayWhyTooBig(ws, conn, opts.maxPayload);
    ws.on('error', (err) => opts.logger?.debug('WebSocket error', { client: conn.id, error: err.message }));
    ws.on('close', (peerCode, peerReason) => {
      try {
        closed(conn, peerCode, peerReason);
      } catch (err) {
        opts.logger?.error('cleaning up a closed WebSocket connection failed', { client: conn.id, error: (err as Error).stack ?? String(err) });
      }
    });
    conn.subscribe(filter);
    publishSelf('ws.connected', { client_id: conn.id, remote_address: conn.remote, component: null, path: new URL(req.url ?? '/', 'http://x').pathname });
  }

  function closed(conn: Connection, peerCode: number, peerReason: Buffer): void {
    conns.delete(conn);
    conn.dispose();
    const code = conn.serverClose?.code ?? peerCode;
    const reason = conn.serverClose?.reason ?? peerReason.toString('utf8');
    if (conn.component) names.release(conn, conn.component, ORDERLY_CLOSE.has(code) ? 'stopped' : 'exited', code);
    publishSelf('ws.disconnected', {
      client_id: conn.id,
      remote_address: conn.remote,
      component: conn.component,
      code,
      reason,
      duration_ms: Date.now() - conn.connectedAt,
    });
  }

  return {
    accept(req, socket, head, url) {
      // Nothing in an upgrade may throw past it: a failure ends this one request, logged.
      try {
        const f = filterFromQuery(url);
        if (!f.ok) return abortHandshake(socket, 400, `bad filter in the query string: ${f.message}`);
        // The observability dashboard's stream gets every event in its shape.
        const path = url.pathname.replace(/\/+$/, '');
        const compat = path === COMPAT_STREAM_PATH && path !== (opts.path ?? '/events');
        wss.handleUpgrade(req, socket, head, (ws) => {
          try {
            onConnection(ws, req, f.filter, compat);
          } catch (err) {
            opts.logger?.error('a WebSocket connection could not be set up; closing it', { error: (err as Error).stack ?? String(err) });
            ws.terminate();
          }
        });
      } catch (err) {
        opts.logger?.error('a WebSocket upgrade failed; refusing it', { url: req.url?.slice(0, 200), error: (err as Error).stack ?? String(err) });
        abortHandshake(socket, 500, 'internal error setting up the WebSocket; see the corral log');
      }
    },
    budget,
    clientCount: () => conns.size,
    backlog() {
      let n = 0;
      for (const c of conns) n += c.backlog();
      return n;
    },
    describe() {
      return [...conns].map((c) => ({
        client_id: c.id,
        component: c.component,
        version: c.version,
        capabilities: c.capabilities,
        remote_address: c.remote,
        connected_at: c.connectedAt,
        last_seen: c.lastSeen,
      }));
    },
    broadcast,
    broadcastError(error) {
      broadcast(errorFrame(error));
    },
    async close(how = SHUTDOWN) {
      const reason = closeReason(how.reason);
      stopTimers();
      unsubscribeErrors();
      const closed = [...conns].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === c.ws.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.close(how.code, reason);
            setTimeout(() => {
              c.ws.terminate();
              resolve();
            }, 1000).unref();
          }),
      );
      await Promise.all(closed);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

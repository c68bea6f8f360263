import WebSocket from 'ws';
import { daemonBaseUrl, readDaemonInfo, readToken } from '../daemon/paths.js';
import { makeError, type ErrorData } from '../schema/errors.js';
import type { CorralEvent, EventInput } from '../schema/events.js';
import type { EventFilter, HeartbeatData, MessageMetadata, RegisterData } from '../schema/messages.js';
import { createReconnector, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { dialBus } from './socket.js';
import { busUrl } from './url.js';

/** A value, or a function that gives it; the client calls the function before every connection attempt. */
export type Resolvable<T> = T | (() => T | Promise<T>);

/** Options of a bus client. */
export interface ClientOptions {
  /**
   * The daemon: `http://127.0.0.1:4000` or a full `ws://…/events` URL, or a
   * function returning one, called before every (re)connect attempt so the
   * client can follow a daemon that moved. When absent:
   * - with `stateDir`: the address in that directory's `daemon.json`, re-read
   *   on every attempt (an attempt fails while there is none);
   * - else with `CORRAL_STATE_DIR` set (corral sets it, with `CORRAL_URL`, for
   *   every component it runs): the same from that directory, falling back to
   *   `CORRAL_URL` (else http://127.0.0.1:4000) while `daemon.json` cannot be read;
   * - else `CORRAL_URL`, else http://127.0.0.1:4000.
   */
  url?: Resolvable<string>;
  /**
   * The token, or a function returning it (called on every attempt). When
   * absent and the address comes from a state directory (`stateDir`, or
   * `CORRAL_STATE_DIR` when neither `url` nor `stateDir` is given), the
   * directory's `token` file is read on every attempt; otherwise none is sent.
   */
  token?: Resolvable<string | null>;
  /**
   * The daemon's state directory (`.corral/` beside the config). Without
   * `url`, the client finds the daemon through its `daemon.json` on every
   * attempt, so it follows the daemon to a new port after a hot reload of
   * `bus.port`, or to a restarted daemon, and resumes where it left off.
   */
  stateDir?: string;
  /** Register as this component on every (re)connect: the bus then emits component.started/stopped for it. */
  component?: RegisterData;
  /** Which events to receive. */
  filter?: EventFilter;
  /** Reconnect delays (jittered exponential); `false` turns reconnecting off. */
  reconnect?: BackoffOptions | false;
  /** Start after this seq: the first `initial` then replays only what came after it. */
  after?: number;
  /** Events published while disconnected are kept (oldest dropped first) up to this many. Default 10 000. */
  maxQueue?: number;
  /**
   * A connection that brings nothing (no message, no ping) for this long is
   * taken for dead and reconnected: a daemon that vanished without closing the
   * TCP connection (suspend, network cut) is noticed. Default 75 s, 2.5 times
   * the daemon's default ping period; 0 turns it off.
   */
  idleTimeoutMs?: number;
}

/** What the client knows about one received event. */
export interface EventMeta {
  /** The store's cursor of this event (for a batch, only its last event carries it). */
  seq?: number;
  server_time?: number;
  /** True for events of an `initial` message (history or a replay after a reconnect). */
  replay: boolean;
}

/** The client's events and their listeners. */
export interface ClientEvents {
  event: (event: CorralEvent, meta: EventMeta) => void;
  /** `meta.event`: an error event of corral's own (`error.CODE`, which also comes as an `event` when the filter takes it), not a problem of this client's. */
  error: (error: ErrorData, meta: { event: boolean }) => void;
  heartbeat: (data: HeartbeatData) => void;
  /** After the events of an `initial` message were emitted: how many, and the cursor it left. */
  initial: (info: { count: number; seq: number | undefined; truncated: boolean }) => void;
  open: (info: { reconnect: boolean }) => void;
  close: (info: { code: number; reason: string; reconnecting: boolean }) => void;
}

/** A typed client of the corral bus. */
export interface CorralClient {
  /**
   * Connects; rejects when the first connection fails (the error has `status`
   * when the daemon answered the upgrade with an HTTP refusal, such as 401).
   * Later drops reconnect by themselves.
   */
  connect(): Promise<void>;
  /** Registers as a component (again on every reconnect). */
  register(data: RegisterData): void;
  /** Publishes events; queued while disconnected. The server fills id, timestamp and version. */
  publish(event: EventInput | EventInput[]): void;
  /** Changes the filter; the server answers with an `initial` of recent matching events. */
  subscribe(filter: EventFilter): void;
  on<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): () => void;
  off<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): void;
  /** Closes for good (no reconnect). */
  close(): Promise<void>;
  /** The last seq seen: a reconnect resumes after it. */
  readonly lastSeq: number | undefined;
  readonly connected: boolean;
}

interface ServerFrame {
  type?: unknown;
  data?: unknown;
  metadata?: Partial<MessageMetadata> & { truncated?: boolean };
}

type Emit = <K extends keyof ClientEvents>(name: K, ...args: Parameters<ClientEvents[K]>) => void;

/** What received frames read and move: the filter, the cursor, and whether a paged replay is under way. */
interface StreamState {
  filter: EventFilter;
  lastSeq: number | undefined;
  catchingUp: boolean;
}

/** What handling a received frame needs from its client. */
interface Receiver {
  stream: StreamState;
  emit: Emit;
  sendNow(frame: string): void;
  /** An `initial` arrived: the connection works, the backoff starts over. */
  resetBackoff(): void;
}

function withoutAfter(filter: EventFilter): EventFilter {
  const { after: _after, ...rest } = filter;
  return rest;
}

async function resolveValue<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : value;
}

/** The daemon's address from a state directory's daemon.json; `fallback` (or an error) when there is none. */
function urlFromStateDir(stateDir: string, fallback: string | null): string {
  const info = readDaemonInfo(stateDir);
  if (info && typeof info.port === 'number') return daemonBaseUrl(info);
  if (fallback !== null) return fallback;
  throw new Error(`corral is not running for the state directory ${stateDir} (no daemon.json there)`);
}

/** Where the client connects and with which token, from its options and the environment (see `ClientOptions.url`). */
function resolveTarget(opts: ClientOptions): { url: Resolvable<string>; token: Resolvable<string | null> } {
  const fallbackUrl = process.env.CORRAL_URL ?? 'http://127.0.0.1:4000';
  // The environment's state directory counts only when the caller named no daemon.
  const envStateDir = opts.url === undefined && opts.stateDir === undefined ? process.env.CORRAL_STATE_DIR || undefined : undefined;
  const stateDir = opts.stateDir ?? envStateDir;
  return {
    url: opts.url ?? (stateDir ? () => urlFromStateDir(stateDir, envStateDir ? fallbackUrl : null) : fallbackUrl),
    token: opts.token ?? (stateDir ? () => readToken(stateDir) : null),
  };
}

/** The client's listener sets, and `emit`, which calls those of one event. */
function createEmitter(): { listeners: { [K in keyof ClientEvents]: Set<ClientEvents[K]> }; emit: Emit } {
  const listeners: { [K in keyof ClientEvents]: Set<ClientEvents[K]> } = {
    event: new Set(),
    error: new Set(),
    heartbeat: new Set(),
    initial: new Set(),
    open: new Set(),
    close: new Set(),
  };
  function emit<K extends keyof ClientEvents>(name: K, ...args: Parameters<ClientEvents[K]>): void {
    for (const l of listeners[name]) (l as (...a: Parameters<ClientEvents[K]>) => void)(...args);
  }
  return { listeners, emit };
}

function noteSeq(stream: StreamState, seq: unknown): void {
  if (typeof seq === 'number' && (stream.lastSeq === undefined || seq > stream.lastSeq)) stream.lastSeq = seq;
}

function receiveInitial(rx: Receiver, frame: ServerFrame): void {
  const { stream, emit } = rx;
  stream.catchingUp = false;
  rx.resetBackoff();
  const events = Array.isArray(frame.data) ? (frame.data as CorralEvent[]) : [];
  const meta = frame.metadata ?? {};
  for (const e of events) emit('event', e, { replay: true, ...(meta.server_time !== undefined ? { server_time: meta.server_time } : {}) });
  if (events.length > 0) noteSeq(stream, meta.seq);
  // An empty answer to a query without a cursor means no matching event exists yet:
  // a resume from 0 then misses nothing.
  else if (stream.lastSeq === undefined) stream.lastSeq = 0;
  const truncated = Boolean(meta.truncated) && stream.lastSeq !== undefined;
  if (truncated) {
    stream.catchingUp = true;
    rx.sendNow(JSON.stringify({ type: 'subscribe', data: { ...stream.filter, after: stream.lastSeq } }));
  }
  emit('initial', { count: events.length, seq: stream.lastSeq, truncated });
}

function receiveEvent(rx: Receiver, frame: ServerFrame): void {
  const { stream, emit } = rx;
  if (stream.catchingUp) return;
  const meta = frame.metadata ?? {};
  const seq = typeof meta.seq === 'number' ? meta.seq : undefined;
  if (seq !== undefined && stream.lastSeq !== undefined && seq <= stream.lastSeq) return;
  const events = (Array.isArray(frame.data) ? frame.data : [frame.data]) as CorralEvent[];
  const time = meta.server_time !== undefined ? { server_time: meta.server_time } : {};
  events.forEach((e, i) => {
    const last = i === events.length - 1;
    emit('event', e, { replay: false, ...time, ...(last && seq !== undefined ? { seq } : {}) });
  });
  noteSeq(stream, seq);
}

function receiveMessage(rx: Receiver, raw: WebSocket.RawData): void {
  let frame: ServerFrame;
  try {
    frame = JSON.parse(raw.toString()) as ServerFrame;
  } catch (err) {
    rx.emit('error', makeError('WS002', 'client', `the server sent unparseable JSON: ${(err as Error).message}`, { severity: 'warning' }), { event: false });
    return;
  }
  if (frame.type === 'event') receiveEvent(rx, frame);
  else if (frame.type === 'initial') receiveInitial(rx, frame);
  else if (frame.type === 'heartbeat') rx.emit('heartbeat', frame.data as HeartbeatData);
  // Not noting the seq of an error message: the same event may still come as an `event`.
  else if (frame.type === 'error') rx.emit('error', frame.data as ErrorData, { event: typeof frame.metadata?.seq === 'number' });
}

/** Frames published while disconnected, oldest dropped first beyond `maxQueue`. */
function createOutbox(maxQueue: number): { push(frame: string): void; drain(): string[] } {
  const frames: string[] = [];
  return {
    push(frame) {
      frames.push(frame);
      if (frames.length > maxQueue) frames.shift();
    },
    drain: () => frames.splice(0),
  };
}

/** Closes a socket for good; resolves once it is closed. */
function closeSocket(sock: WebSocket | null): Promise<void> {
  if (!sock || sock.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    sock.once('close', () => resolve());
    if (sock.readyState === WebSocket.CONNECTING) sock.terminate();
    else sock.close(1000, 'client closed');
  });
}

/**
 * Creates a bus client. It reconnects with jittered exponential backoff and
 * resumes from the last `metadata.seq` it saw by connecting with `?after=SEQ`:
 * the server replays what was missed in its `initial` message, so nothing is
 * lost and nothing arrives twice. A replay comes in pages bounded by count
 * and bytes: a page the server cut short (`truncated`, `next_cursor`) is
 * followed by a `subscribe` from the new cursor, page after page, and live
 * events are ignored until the last page arrives, since it contains them.
 *
 * The address (and token) are worked out again before every attempt. A
 * client that finds the daemon through its state directory (`stateDir`, or
 * `CORRAL_STATE_DIR` in a component corral started) re-reads `daemon.json`,
 * so when a hot reload moves the bus to another port (the daemon rewrites
 * `daemon.json` first, then closes its clients with 1012 "corral bus moving
 * to HOST:PORT") the client reconnects to the new port and resumes, and a
 * stale `CORRAL_URL` in a long-running component does no harm. A fixed `url`
 * string is used as given, port and all; pass a function to follow a daemon
 * some other way.
 */
export function createClient(opts: ClientOptions = {}): CorralClient {
  const { url, token } = resolveTarget(opts);
  const backoff = opts.reconnect === false ? null : (opts.reconnect ?? DEFAULT_BACKOFF);
  const idleTimeoutMs = opts.idleTimeoutMs ?? 75_000;
  const { listeners, emit } = createEmitter();
  const stream: StreamState = { filter: withoutAfter(opts.filter ?? {}), lastSeq: opts.after, catchingUp: false };
  let component = opts.component;
  let ws: WebSocket | null = null;
  let connected = false;
  let closedByUser = false;
  let everOpened = false;
  const outbox = createOutbox(opts.maxQueue ?? 10_000);
  const reconnector = createReconnector(backoff, () => closedByUser, () => open());

  function sendNow(frame: string): void {
    ws?.send(frame);
  }

  function send(frame: string): void {
    if (connected) return sendNow(frame);
    outbox.push(frame);
  }

  const receiver: Receiver = { stream, emit, sendNow, resetBackoff: () => reconnector.reset() };

  /** An attempt after the first connection failed: say so, and try again later. */
  function attemptFailed(message: string): void {
    if (everOpened && !closedByUser) {
      emit('error', makeError('WS001', 'client', message, { severity: 'warning' }), { event: false });
      reconnector.schedule();
    }
  }

  /** One attempt: works out the address and token, then connects. */
  async function open(): Promise<void> {
    let base: string;
    let wsUrl: string;
    let tok: string | null;
    try {
      [base, tok] = await Promise.all([resolveValue(url), resolveValue(token)]);
      const f = stream.lastSeq !== undefined ? { ...stream.filter, after: stream.lastSeq } : stream.filter;
      wsUrl = busUrl(base, f, tok);
    } catch (err) {
      const message = `cannot connect: ${(err as Error).message}`;
      attemptFailed(message);
      throw new Error(message);
    }
    if (closedByUser) throw new Error('the client was closed');
    return attach(base, wsUrl, tok);
  }

  function attach(base: string, url: string, token: string | null): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const sock = dialBus(url, token, idleTimeoutMs, {
        onOpen() {
          connected = true;
          const reconnect = everOpened;
          everOpened = true;
          if (component) sendNow(JSON.stringify({ type: 'register', data: component }));
          for (const frame of outbox.drain()) sendNow(frame);
          emit('open', { reconnect });
          resolve();
        },
        onMessage: (raw) => receiveMessage(receiver, raw),
        onClose(code, reason, { opened, failure, refusedWith }) {
          if (ws === sock) ws = null;
          connected = false;
          stream.catchingUp = false;
          if (!opened) {
            const message = `cannot connect to ${base}: ${failure?.message ?? `closed with ${code}`}`;
            reject(Object.assign(new Error(message), refusedWith !== undefined ? { status: refusedWith } : {}));
            attemptFailed(message);
            return;
          }
          const reconnecting = Boolean(backoff) && !closedByUser;
          emit('close', { code, reason: reason.toString(), reconnecting });
          reconnector.schedule();
        },
      });
      ws = sock;
    });
  }

  return {
    connect() {
      closedByUser = false;
      return open();
    },
    register(data) {
      component = data;
      if (connected) sendNow(JSON.stringify({ type: 'register', data }));
    },
    publish(event) {
      send(JSON.stringify({ type: 'event', data: event }));
    },
    subscribe(next) {
      stream.filter = withoutAfter(next);
      stream.catchingUp = false;
      if (connected) sendNow(JSON.stringify({ type: 'subscribe', data: stream.filter }));
    },
    on(name, listener) {
      listeners[name].add(listener);
      return () => listeners[name].delete(listener);
    },
    off(name, listener) {
      listeners[name].delete(listener);
    },
    close() {
      closedByUser = true;
      reconnector.cancel();
      return closeSocket(ws);
    },
    get lastSeq() {
      return stream.lastSeq;
    },
    get connected() {
      return connected;
    },
  };
}

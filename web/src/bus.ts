import type { CorralEvent, ErrorData, ServerMessage } from './types.js';
import { getToken, touch } from './core.js';

export type ConnState = 'connecting' | 'live' | 'reconnecting';

/** The connection to the bus, as the header shows it. */
export const conn = {
  state: 'connecting' as ConnState,
  /** When the next attempt is due (reconnecting). */
  retryAt: 0,
  /** The store cursor of the last event received: a reconnect resumes after it. */
  seq: 0,
  /** Events received since the page opened. */
  received: 0,
  lastError: null as ErrorData | null,
};

export interface BusHandlers {
  /** Each event, in order (`initial` ones with `initial` true). */
  onEvent(e: CorralEvent, initial: boolean): void;
  onError?(e: ErrorData): void;
}

/**
 * Subscribes to everything on `ws://HOST/events` (the page filters itself),
 * reconnects with a jittered backoff and resumes with `?after=SEQ`, so a
 * daemon restart or a dropped connection loses no event.
 */
export function connectBus(handlers: BusHandlers): () => void {
  let ws: WebSocket | null = null;
  let attempt = 0;
  let timer = 0;
  let closed = false;

  const open = () => {
    const params = new URLSearchParams();
    if (conn.seq > 0) params.set('after', String(conn.seq));
    const token = getToken();
    // Reading needs no token from this machine (bus.auth: local); with `auth: required` it does.
    if (token) params.set('token', token);
    const q = params.toString();
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events${q ? `?${q}` : ''}`);
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      conn.state = 'live';
      touch('conn');
    };
    socket.onmessage = (m) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(m.data)) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'event' || msg.type === 'initial') {
        const initial = msg.type === 'initial';
        const list = Array.isArray(msg.data) ? msg.data : [msg.data];
        for (const e of list) handlers.onEvent(e, initial);
        conn.received += list.length;
        const seq = msg.metadata?.seq;
        if (typeof seq === 'number' && seq > conn.seq) conn.seq = seq;
      } else if (msg.type === 'error') {
        conn.lastError = msg.data;
        handlers.onError?.(msg.data);
        touch('conn');
      }
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = null;
      if (closed) return;
      const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt++;
      conn.state = 'reconnecting';
      conn.retryAt = Date.now() + delay;
      touch('conn');
      timer = window.setTimeout(open, delay);
    };
  };
  open();
  return () => {
    closed = true;
    window.clearTimeout(timer);
    ws?.close();
  };
}

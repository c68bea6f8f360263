import WebSocket from 'ws';

/** How a socket that closed ended: whether it had opened, and why it failed when it had not. */
export interface DialOutcome {
  opened: boolean;
  failure: Error | null;
  /** The HTTP status of a refused upgrade (401, 403). */
  refusedWith: number | undefined;
}

/** What one bus socket tells its client. */
export interface DialHandlers {
  onOpen(): void;
  onMessage(raw: WebSocket.RawData): void;
  onClose(code: number, reason: Buffer, outcome: DialOutcome): void;
}

/**
 * Opens one WebSocket to the bus. A connection that brings nothing (no
 * message, no ping) for `idleTimeoutMs` is terminated (0 turns that off); a
 * refused upgrade keeps the daemon's answer as the failure.
 */
export function dialBus(url: string, token: string | null, idleTimeoutMs: number, handlers: DialHandlers): WebSocket {
  const sock = new WebSocket(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, handshakeTimeout: 10_000 });
  let opened = false;
  let idle: NodeJS.Timeout | null = null;
  const alive = () => {
    if (idleTimeoutMs <= 0) return;
    if (idle) idle.refresh();
    else {
      idle = setTimeout(() => sock.terminate(), idleTimeoutMs);
      idle.unref();
    }
  };
  let failure: Error | null = null;
  let refusedWith: number | undefined;
  sock.on('open', () => {
    opened = true;
    alive();
    handlers.onOpen();
  });
  sock.on('message', (raw) => {
    alive();
    handlers.onMessage(raw);
  });
  sock.on('ping', alive);
  // A refused upgrade (401, 403): keep the daemon's reason, not just the status.
  sock.on('unexpected-response', (_req, res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim().slice(0, 300);
      failure = new Error(`HTTP ${res.statusCode}${text ? `: ${text}` : ''}`);
      refusedWith = res.statusCode;
      sock.terminate();
    });
    res.on('error', () => sock.terminate());
  });
  sock.on('error', (err) => {
    failure ??= err;
  });
  sock.on('close', (code, reason) => {
    if (idle) clearTimeout(idle);
    handlers.onClose(code, reason, { opened, failure, refusedWith });
  });
  return sock;
}

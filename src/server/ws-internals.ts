import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

// The one module that knows how `ws` works inside: `ws._socket`, the
// net.Socket under a WebSocket, which ws does not document for applications,
// is written to directly so a burst of frames costs one write per subscriber
// per tick. Event frames are complete, unmasked WebSocket frames built here
// once per event (RFC 6455 §5.2: a 2, 4 or 10-byte header, then the payload)
// and written to every subscriber as is.
// test/unit/server/ws-internals.test.ts pins the installed ws version and
// checks both: the socket, and that every header is the one ws's own
// `Sender.frame` makes and that ws's Receiver reads the frames back.

/** The ws version the internals below were checked against (test/unit/server/ws-internals.test.ts). */
export const WS_VERSION_CHECKED = '8.23.0';

/**
 * A text message, given as consecutive pieces, as one complete unmasked
 * WebSocket frame in one buffer: each piece is written where it belongs (no
 * joined copy of the event's JSON), after the header.
 */
export function textFrame(...pieces: string[]): Buffer {
  return textFrameOf(pieces);
}

/** textFrame of an array of pieces (a page of events: no spread of thousands of arguments, no joined copy). */
export function textFrameOf(pieces: readonly string[]): Buffer {
  let len = 0;
  for (const p of pieces) len += Buffer.byteLength(p);
  // The header by hand: ws's Sender.frame makes the same bytes (the test checks
  // every length class) but costs a header buffer, an array and a copy per
  // event, ~1 µs of the daemon's interpreted publish path (bench/bus.js).
  const head = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const buf = Buffer.allocUnsafe(head + len);
  buf[0] = 0x81; // FIN + opcode 1 (text)
  if (len < 126) {
    buf[1] = len;
  } else if (len < 65_536) {
    buf[1] = 126;
    buf.writeUInt16BE(len, 2);
  } else {
    buf[1] = 127;
    buf.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    buf.writeUInt32BE(len >>> 0, 6);
  }
  let at = head;
  for (const p of pieces) at += buf.write(p, at, 'utf8');
  return buf;
}

/** The payload of a frame made by textFrame (for a socket ws does not expose: it frames the payload itself). */
export function framePayload(f: Buffer): Buffer {
  const len = f[1]! & 0x7f;
  return f.subarray(len === 127 ? 10 : len === 126 ? 4 : 2);
}

/** The parts of the socket under a WebSocket that the outbound queue uses. */
export interface RawSocket {
  write(b: Buffer): boolean;
  end(): void;
  readonly destroyed: boolean;
  on(event: 'drain', fn: () => void): void;
  off(event: 'drain', fn: () => void): void;
}

/** The net.Socket under an open WebSocket, or null when ws keeps it elsewhere (then send through ws). */
export function rawSocketOf(ws: WebSocket): RawSocket | null {
  const socket = (ws as unknown as { _socket?: Socket | null })._socket;
  if (!socket || typeof socket.write !== 'function' || typeof socket.on !== 'function') return null;
  return socket;
}

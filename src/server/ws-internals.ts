import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';

// The one module that knows how `ws` works inside. Two things are used that
// ws does not document for applications:
// - `Sender.frame(data, options)` (exported, used by ws's own Sender): the
//   header of an unmasked frame, so an event's frame is built once and written
//   to every subscriber as is;
// - `ws._socket`: the net.Socket under a WebSocket, written to directly so a
//   burst of frames costs one write per subscriber per tick.
// test/unit/server/ws-internals.test.ts pins the installed ws version and
// checks both: an upgrade of ws that changes them fails there, loudly.

/** The ws version the internals below were checked against (test/unit/server/ws-internals.test.ts). */
export const WS_VERSION_CHECKED = '8.23.0';

/** Longest header of an unmasked frame (RFC 6455 §5.2: 2 bytes + a 64-bit length). */
const MAX_HEAD = 10;

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
// Exported by ws (index.js: `WebSocket.Sender`), not described by @types/ws.
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
const TEXT: FrameOptions = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };

/**
 * A text message, given as consecutive pieces, as one complete unmasked
 * WebSocket frame in one buffer. The payload is written once, after room for
 * the longest header; ws's `Sender.frame` makes the header, which is copied in
 * just before it (no copy of the payload).
 */
export function textFrame(...pieces: string[]): Buffer {
  return textFrameOf(pieces);
}

/** textFrame of an array of pieces (a page of events: no spread of thousands of arguments, no joined copy). */
export function textFrameOf(pieces: readonly string[]): Buffer {
  let len = 0;
  for (const p of pieces) len += Buffer.byteLength(p);
  const buf = Buffer.allocUnsafe(MAX_HEAD + len);
  let at = MAX_HEAD;
  for (const p of pieces) at += buf.write(p, at, 'utf8');
  const head = Sender.frame(buf.subarray(MAX_HEAD), TEXT)[0]!;
  const start = MAX_HEAD - head.length;
  head.copy(buf, start);
  return buf.subarray(start);
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

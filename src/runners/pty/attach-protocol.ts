/**
 * The pty attach protocol on the unix socket. Server → client: the terminal's
 * raw output bytes (the recent scrollback first, then live). Client → server:
 * frames of `[type: 1 byte][length: 4 bytes, big-endian][payload]`, so
 * keystrokes and window-size changes share one stream.
 */
export const FRAME_DATA = 1;
export const FRAME_RESIZE = 2;

const HEADER = 5;
/** Largest frame accepted; a bigger length means the peer is not speaking this protocol. */
export const MAX_FRAME = 1024 * 1024;

export type AttachFrame = { type: 'data'; data: Buffer } | { type: 'resize'; cols: number; rows: number };

export function encodeData(data: string | Uint8Array): Buffer {
  return frame(FRAME_DATA, typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
}

export function encodeResize(cols: number, rows: number): Buffer {
  return frame(FRAME_RESIZE, Buffer.from(JSON.stringify({ cols, rows }), 'utf8'));
}

function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** Incremental decoder: feed it chunks, it calls `onFrame` per complete frame; throws on a malformed stream. */
export function createFrameDecoder(onFrame: (f: AttachFrame) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= HEADER) {
      const type = buf.readUInt8(0);
      const len = buf.readUInt32BE(1);
      if (len > MAX_FRAME) throw new Error(`attach frame of ${len} bytes is over the ${MAX_FRAME} limit`);
      if (buf.length < HEADER + len) return;
      const payload = buf.subarray(HEADER, HEADER + len);
      buf = buf.subarray(HEADER + len);
      if (type === FRAME_DATA) onFrame({ type: 'data', data: Buffer.from(payload) });
      else if (type === FRAME_RESIZE) {
        const size = JSON.parse(payload.toString('utf8')) as { cols?: unknown; rows?: unknown };
        const cols = Number(size.cols);
        const rows = Number(size.rows);
        if (Number.isInteger(cols) && Number.isInteger(rows) && cols > 0 && rows > 0) onFrame({ type: 'resize', cols, rows });
      } else throw new Error(`unknown attach frame type ${type}`);
    }
  };
}

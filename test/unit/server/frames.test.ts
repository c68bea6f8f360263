import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { eventWireFrame, wireFrame } from '../../../src/server/frames.js';
import type { BusEntry } from '../../../src/bus/types.js';

// ws's frame parser (exported by ws, not described by @types/ws).
interface FrameReceiver {
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = ws as unknown as { Receiver: new (o: { isServer: boolean; maxPayload: number }) => FrameReceiver };

/** Decodes frames with ws's own client-side parser (a server's frames are unmasked). */
function decode(buf: Buffer): string[] {
  const out: string[] = [];
  const r = new Receiver({ isServer: false, maxPayload: 0 });
  r.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false);
    out.push(data.toString('utf8'));
  });
  r.on('error', (err) => {
    throw err;
  });
  r.write(buf);
  return out;
}

describe('wire frames', () => {
  it('frames text of every length class (7-bit, 16-bit, 64-bit) the way a WebSocket client reads it', () => {
    for (const n of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
      const text = 'x'.repeat(n);
      expect(decode(wireFrame(text))).toEqual([text]);
    }
  });

  it('writes multi-byte text by its UTF-8 length, pieces in order', () => {
    const pieces = ['{"a":"é', '漢字'.repeat(40), '🙂"}'];
    expect(decode(wireFrame(...pieces))).toEqual([pieces.join('')]);
  });

  it('an event frame is the event message, built once for all subscribers, and frames back to back stay apart', () => {
    const entry: BusEntry = { seq: 7, event: {} as BusEntry['event'], json: '{"event_type":"t","payload":{"s":"ü"}}' };
    const a = eventWireFrame(entry);
    expect(eventWireFrame(entry)).toBe(a);
    const [msg] = decode(a);
    const parsed = JSON.parse(msg!) as { type: string; data: unknown; metadata: { seq: number; message_id: string; server_time: number } };
    expect(parsed).toMatchObject({ type: 'event', data: { event_type: 't', payload: { s: 'ü' } }, metadata: { seq: 7 } });
    expect(parsed.metadata.message_id).toMatch(/^[0-9a-f-]{36}$/);
    const b = eventWireFrame({ ...entry, seq: 8 });
    expect(decode(Buffer.concat([a, b])).map((m) => (JSON.parse(m) as { metadata: { seq: number } }).metadata.seq)).toEqual([7, 8]);
  });
});

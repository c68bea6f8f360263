import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import * as wsModule from 'ws';
import { WS_VERSION_CHECKED, framePayload, rawSocketOf, textFrame } from '../../../src/server/ws-internals.js';

// src/server/ws-internals.ts is the one place that relies on ws beyond its
// documented API (Sender.frame, the `_socket` under a WebSocket). These tests
// fail loudly when an upgrade of ws changes either: re-check the module, then
// update WS_VERSION_CHECKED.

const require = createRequire(import.meta.url);
const installed = (JSON.parse(readFileSync(require.resolve('ws/package.json'), 'utf8')) as { version: string }).version;

interface FrameReceiver {
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
const { Receiver, Sender } = wsModule as unknown as {
  Receiver: new (o: { isServer: boolean; maxPayload: number }) => FrameReceiver;
  Sender: { frame?: (data: Buffer, options: FrameOptions) => Buffer[] };
};

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

let wss: WebSocketServer | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  wss = null;
});

describe(`ws internals (checked against ws ${WS_VERSION_CHECKED})`, () => {
  it('the installed ws is the version ws-internals.ts was checked against', () => {
    expect(installed, `ws ${installed} is installed, ws-internals.ts was checked against ${WS_VERSION_CHECKED}: re-check Sender.frame and _socket, then update WS_VERSION_CHECKED`).toBe(WS_VERSION_CHECKED);
  });

  it("textFrame makes the header ws's own Sender.frame makes, and frames ws reads back, in every length class", () => {
    expect(typeof Sender.frame).toBe('function');
    for (const n of [0, 1, 121, 122, 123, 124, 125, 126, 127, 65_531, 65_532, 65_533, 65_535, 65_536, 70_000]) {
      // Bytes, not characters: 'é' is two in UTF-8.
      const text = 'é'.repeat(n >> 1) + 'x'.repeat(n & 1);
      const f = textFrame('{', text, '}');
      const payload = Buffer.from(`{${text}}`);
      const [head] = Sender.frame!(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
      expect(f.subarray(0, f.length - payload.length)).toEqual(head);
      expect(f.subarray(f.length - payload.length)).toEqual(payload);
      expect(decode(f)).toEqual([`{${text}}`]);
      expect(framePayload(f).toString('utf8')).toBe(`{${text}}`);
    }
  });

  it('the socket under a server-side WebSocket takes frames written directly, and bufferedAmount counts them', async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss!.once('listening', () => resolve()));
    const port = (wss.address() as { port: number }).port;
    const serverSide = new Promise<WebSocket>((resolve) => wss!.once('connection', (ws) => resolve(ws)));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const got = new Promise<string>((resolve) => client.once('message', (d: Buffer) => resolve(d.toString())));
    const ws = await serverSide;
    const socket = rawSocketOf(ws);
    expect(socket, 'ws no longer keeps the net.Socket as `_socket`').not.toBeNull();
    socket!.write(textFrame('{"hello":"direct"}'));
    expect(await got).toBe('{"hello":"direct"}');
    expect(typeof ws.bufferedAmount).toBe('number');
    client.terminate();
  });
});

import { describe, expect, it } from 'vitest';
import { createDetachSplitter } from '../../../src/cli/attach-pty.js';
import { createFrameDecoder, encodeData, encodeResize, type AttachFrame } from '../../../src/runners/pty/attach-protocol.js';
import { Scrollback } from '../../../src/runners/pty/scrollback.js';

describe('pty attach protocol', () => {
  it('decodes data and resize frames split at any byte', () => {
    const frames: AttachFrame[] = [];
    const decode = createFrameDecoder((f) => frames.push(f));
    const bytes = Buffer.concat([encodeData('héllo'), encodeResize(120, 40), encodeData(Buffer.from([0x1b, 0x5b, 0x41]))]);
    for (const b of bytes) decode(Buffer.from([b]));
    expect(frames).toEqual([
      { type: 'data', data: Buffer.from('héllo') },
      { type: 'resize', cols: 120, rows: 40 },
      { type: 'data', data: Buffer.from([0x1b, 0x5b, 0x41]) },
    ]);
  });

  it('refuses a stream that is not the protocol', () => {
    const decode = createFrameDecoder(() => {});
    expect(() => decode(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(/over the .* limit|unknown attach frame type/);
  });

  it('detach splitter: Ctrl-] d detaches, Ctrl-] twice sends one, Ctrl-] x sends both', () => {
    const split = createDetachSplitter();
    expect(split(Buffer.from('ab\x1d\x1dc'))).toEqual({ forward: Buffer.from('ab\x1dc'), detach: false });
    expect(split(Buffer.from('\x1dx'))).toEqual({ forward: Buffer.from('\x1dx'), detach: false });
    // The sequence may arrive across two reads.
    expect(split(Buffer.from('z\x1d'))).toEqual({ forward: Buffer.from('z'), detach: false });
    expect(split(Buffer.from('d'))).toEqual({ forward: Buffer.alloc(0), detach: true });
  });

  it('scrollback keeps the newest bytes up to its limit', () => {
    const sb = new Scrollback(8);
    sb.push(Buffer.from('12345'));
    sb.push(Buffer.from('6789'));
    expect(sb.snapshot().toString()).toBe('6789');
    sb.push(Buffer.from('abcdefghijkl'));
    expect(sb.snapshot().toString()).toBe('efghijkl');
  });
});

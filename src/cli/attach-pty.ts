import { connect } from 'node:net';
import { encodeData, encodeResize } from '../runners/pty/attach-protocol.js';

/** Ctrl-] starts the detach sequence; `d` after it detaches. */
export const DETACH_PREFIX = 0x1d;
export const DETACH_HINT = 'detach with Ctrl-] then d';

export interface PtyAttachOptions {
  socketPath: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

/** Why an attach ended: the user detached, or the component's terminal went away. */
export type PtyAttachEnd = 'detached' | 'ended';

/**
 * Connects the terminal to a pty component's attach socket: raw-mode stdin
 * goes to the component (keys, and the window size on connect and on every
 * resize), its output comes back. Ctrl-] then d detaches without touching
 * the component; Ctrl-] twice sends one Ctrl-]. The terminal is restored
 * however it ends.
 */
export function attachPty(opts: PtyAttachOptions): Promise<PtyAttachEnd> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const socket = connect(opts.socketPath);
  return new Promise<PtyAttachEnd>((resolve, reject) => {
    let done = false;
    const wasRaw = input.isTTY ? input.isRaw : false;
    const sendSize = () => {
      if (output.columns && output.rows) socket.write(encodeResize(output.columns, output.rows));
    };
    const split = createDetachSplitter();
    const onInput = (chunk: Buffer) => {
      const { forward, detach } = split(chunk);
      if (forward.length > 0) socket.write(encodeData(forward));
      if (detach) finish('detached');
    };
    const finish = (how: PtyAttachEnd | Error) => {
      if (done) return;
      done = true;
      input.off('data', onInput);
      output.off('resize', sendSize);
      if (input.isTTY) input.setRawMode(wasRaw);
      input.pause();
      socket.destroy();
      if (how instanceof Error) reject(how);
      else resolve(how);
    };
    socket.once('connect', () => {
      if (input.isTTY) input.setRawMode(true);
      input.on('data', onInput);
      input.resume();
      output.on('resize', sendSize);
      sendSize();
    });
    socket.on('data', (chunk: Buffer) => output.write(chunk));
    socket.once('close', () => finish('ended'));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const gone = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      finish(new Error(gone ? `the component's terminal is not there (${opts.socketPath}): is it running?` : err.message));
    });
  });
}

/** Splits keyboard input into bytes for the component and the detach request. */
export function createDetachSplitter(): (chunk: Buffer) => { forward: Buffer; detach: boolean } {
  let pending = false;
  return (chunk) => {
    const out: number[] = [];
    for (const byte of chunk) {
      if (pending) {
        pending = false;
        if (byte === 0x64 || byte === 0x44) return { forward: Buffer.from(out), detach: true }; // d or D
        out.push(DETACH_PREFIX);
        if (byte !== DETACH_PREFIX) out.push(byte);
      } else if (byte === DETACH_PREFIX) pending = true;
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  };
}

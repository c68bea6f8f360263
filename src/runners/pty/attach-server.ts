import { mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { createFrameDecoder } from './attach-protocol.js';
import type { Scrollback } from './scrollback.js';

export interface AttachServer {
  /** Sends live output to every attached client. */
  broadcast(chunk: Buffer): void;
  /** Number of attached clients. */
  clients(): number;
  /** Ends every client and removes the socket. */
  close(): Promise<void>;
}

/**
 * Serves a pty on a unix socket: a client that connects gets the scrollback,
 * then live output; its keystrokes go to `write`, its resize frames to
 * `resize`. A client leaving (detaching) does nothing to the process.
 */
export async function startAttachServer(opts: {
  socketPath: string;
  scrollback: Scrollback;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  onError?(err: Error): void;
}): Promise<AttachServer> {
  mkdirSync(dirname(opts.socketPath), { recursive: true, mode: 0o700 });
  // A socket file left by a daemon that died would make listen fail with EADDRINUSE.
  removeSocket(opts.socketPath);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decode = createFrameDecoder((frame) => {
      if (frame.type === 'data') opts.write(frame.data);
      else opts.resize(frame.cols, frame.rows);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        decode(chunk);
      } catch (err) {
        opts.onError?.(err as Error);
        socket.destroy();
      }
    });
    socket.write(opts.scrollback.snapshot());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Only the daemon's user may connect: the socket's directory is 0700 and the umask makes the socket 0600.
    const old = process.umask(0o077);
    try {
      server.listen(opts.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
  server.on('error', (err) => opts.onError?.(err));
  let closing: Promise<void> | null = null;
  return {
    broadcast(chunk) {
      for (const s of sockets) if (!s.destroyed) s.write(chunk);
    },
    clients: () => sockets.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.end();
        server.close(() => resolve());
        // Clients that do not close their end would keep server.close waiting.
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 500).unref();
      }).then(() => removeSocket(opts.socketPath));
      return closing;
    },
  };
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

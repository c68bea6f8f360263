import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of the daemon, to cut a client off while the daemon keeps running. */
export interface CutProxy {
  port: number;
  /** Drops every open connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

export function startProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    // The daemon checks the Host header against its own port (DNS rebinding): say the daemon's.
    client.once('data', (first: Buffer) => {
      upstream.write(first.toString('latin1').replace(/^Host: 127\.0\.0\.1:\d+/im, `Host: 127.0.0.1:${targetPort}`), 'latin1');
      client.pipe(upstream);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port,
        cut() {
          down = true;
          for (const s of sockets) s.destroy();
          sockets.clear();
        },
        restore() {
          down = false;
        },
        accepted: () => accepted,
        close() {
          for (const s of sockets) s.destroy();
          return new Promise((res) => server.close(() => res()));
        },
      });
    });
  });
}

import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One request a test server received. */
export interface Received {
  at: number;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on port 0 that records every request and answers with `status(n)` (n counts from 1). */
export async function recordingServer(status: (n: number) => number = () => 200) {
  const got: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      got.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body });
      const code = status(got.length);
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(code < 300 ? 'ok' : 'down');
      for (const w of [...waiters]) {
        if (got.length < w.count) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    got,
    /** Resolves once `count` requests have arrived. */
    waitFor(count: number, timeoutMs = 20_000): Promise<void> {
      if (got.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${count} requests; got ${got.length}`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkBrowser, checkPublishAuth, type GuardConfig } from './guard.js';
import { sendError, sendJson, sendMethodNotAllowed } from './http-util.js';
import { createBucketMap } from './rate-limit.js';
import type { RouteContext } from './route-context.js';
import { handleControl } from './routes-control.js';
import { createDashboardRoutes } from './routes-dashboard.js';
import { createStaticFiles } from './static.js';
import { getEvents, getFilterOptions, getRecent, postEvents, postHook } from './routes-events.js';
import type { CorralServer, ServerOptions } from './types.js';
import { COMPAT_STREAM_PATH, createWsHub } from './ws-hub.js';

export type { CorralServer, ServerOptions, RateLimit, SlowConsumerLimits } from './types.js';
export { ensureToken } from './token.js';
export { describePortOwner } from './port-owner.js';


/** The methods a known path answers (for 405 and its Allow header); null for a path with no route. */
function allowedMethods(path: string, parts: string[]): string[] | null {
  if (path === '/events') return ['GET', 'POST'];
  if (path === '/events/recent' || path === '/events/filter-options' || path === '/health') return ['GET'];
  if (parts[0] === 'hooks' && parts.length === 2) return ['POST'];
  return null;
}

function rawRefusal(socket: Duplex, status: number, message: string): void {
  const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status === 503 ? 'Service Unavailable' : 'Bad Request';
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.destroy();
}

/**
 * Starts the daemon's one HTTP server: the WebSocket bus, the HTTP API and the
 * security checks (docs/protocol.md, docs/security.md). Rejects with the listen error
 * (EADDRINUSE included) when the port cannot be bound.
 */
export async function createServer(opts: ServerOptions): Promise<CorralServer> {
  const wsPath = opts.path ?? '/events';
  const guard: GuardConfig = { host: opts.host, port: opts.port, token: opts.token, auth: opts.auth, allowedOrigins: opts.allowedOrigins };
  const hub = createWsHub(opts);
  const buckets = createBucketMap(opts.rateLimit);
  const startedAt = Date.now();
  const handleDashboard = createDashboardRoutes(opts.dashboard);
  const serveStatic = createStaticFiles(opts.dashboard?.webDir);

  function cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    // Only allowed origins get CORS headers; never `*` (docs/security.md).
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-allow-headers', 'content-type, authorization');
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refusal = checkBrowser(guard, req);
    if (refusal) {
      req.resume();
      return sendError(req, res, refusal.status, refusal.message);
    }
    cors(req, res);
    const asked = req.method ?? 'GET';
    // HEAD is answered as GET is; Node's response leaves the body out.
    const method = asked === 'HEAD' ? 'GET' : asked;
    if (method === 'OPTIONS') {
      req.resume();
      res.writeHead(204, { 'access-control-max-age': '600' });
      res.end();
      return;
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const ctx: RouteContext = { req, res, url, opts, guard, hub, bucket: () => buckets.get(req.socket.remoteAddress ?? '?'), startedAt };
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api') return handleControl(ctx, method, parts);
    if (parts[0] === 'dashboard') return handleDashboard(ctx, method, parts);
    if (path === '/events' && method === 'POST') return postEvents(ctx);
    if (path === '/events' && method === 'GET') return getEvents(ctx);
    if (path === '/events/recent' && method === 'GET') return getRecent(ctx);
    if (path === '/events/filter-options' && method === 'GET') return getFilterOptions(ctx);
    if (parts[0] === 'hooks' && parts.length === 2 && method === 'POST') return postHook(ctx, parts[1]!);
    if (path === '/health' && method === 'GET') {
      req.resume();
      // Anyone who may subscribe sees the whole document; others only learn that this is corral.
      if (checkPublishAuth(guard, req, url)) return sendJson(req, res, 200, { service: 'corral', status: 'ok' });
      return sendJson(req, res, 200, health());
    }
    req.resume();
    // The web dashboard's files at `/` (and index.html for a browser navigating to its views).
    if (serveStatic(req, res, path)) return;
    const allow = allowedMethods(path, parts);
    if (allow) return sendMethodNotAllowed(req, res, asked, path, allow);
    return sendError(req, res, 404, `no route ${asked} ${path}`);
  }

  function health() {
    let components = {};
    try {
      components = opts.heartbeat();
    } catch {}
    const now = Date.now();
    return {
      service: 'corral',
      status: 'ok',
      pid: process.pid,
      ...(opts.version ? { version: opts.version } : {}),
      timestamp: now,
      uptime_ms: now - startedAt,
      components,
      connections: hub.describe(),
      memory: memory(),
      backlog_bytes: hub.backlog(),
      store_pending: opts.store?.pending() ?? 0,
      next_check: now + opts.heartbeatMs,
    };
  }

  function memory() {
    const m = process.memoryUsage();
    return { rss: m.rss, heap_used: m.heapUsed, external: m.external };
  }

  const server = createHttpServer((req, res) => {
    route(req, res).catch((err: Error) => {
      opts.logger?.error('HTTP handler failed', { url: req.url, error: err.message });
      if (!res.headersSent) void sendError(req, res, 500, `internal error: ${err.message}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== wsPath && path !== COMPAT_STREAM_PATH) return rawRefusal(socket, 404, `no WebSocket endpoint at ${path}; the bus is at ${wsPath}`);
    // Every check happens here, before any WebSocket exists (docs/security.md).
    const refusal = checkBrowser(guard, req) ?? checkPublishAuth(guard, req, url);
    if (refusal) {
      opts.logger?.warn(`refused a WebSocket upgrade: ${refusal.message}`, { remote: req.socket.remoteAddress });
      return rawRefusal(socket, refusal.status, refusal.message);
    }
    const maxClients = opts.maxClients ?? 1024;
    if (hub.clientCount() >= maxClients) {
      opts.logger?.warn(`refused a WebSocket upgrade: ${maxClients} clients already connected (bus.max_clients)`, { remote: req.socket.remoteAddress });
      return rawRefusal(socket, 503, `too many bus clients: ${maxClients} are connected (bus.max_clients)`);
    }
    hub.accept(req, socket, head, url);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(opts.port, opts.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
  } catch (err) {
    // EADDRINUSE and the like: leave no timer or bus subscription behind.
    await hub.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  guard.port = port;
  server.on('error', (err) => opts.logger?.error('HTTP server error', { error: err.message }));
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | null = null;
  return {
    port,
    host: opts.host,
    url: `http://${urlHost}:${port}`,
    clientCount: () => hub.clientCount(),
    backlog: () => hub.backlog(),
    broadcastError: (error) => hub.broadcastError(error),
    close(how) {
      closing ??= (async () => {
        await hub.close(how);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

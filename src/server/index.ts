import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createByteBudget } from './body-budget.js';
import { checkBrowser, checkPublishAuth, hasToken, type GuardConfig, type Refusal } from './guard.js';
import { abortHandshake, loggableUrl, sendError, sendMethodNotAllowed } from './http-util.js';
import { createBucketMap } from './rate-limit.js';
import type { RouteContext } from './route-context.js';
import { routeTable } from './route-table.js';
import { allowHeader, matchRoute, pathMethods, type RouteAuth } from './routes.js';
import type { CorralServer, ServerOptions } from './types.js';
import { createMemoryBudget } from './memory-budget.js';
import { createWsHub } from './ws-hub.js';
import { createDashboardRoutes } from './routes-dashboard.js';
import { createStaticFiles } from './static.js';

export type { CorralServer, ServerOptions, RateLimit, SlowConsumerLimits } from './types.js';
export { ensureToken } from './token.js';
export { describePortOwner } from './port-owner.js';

const CONTROL_REFUSAL = 'control needs the token: Authorization: Bearer TOKEN (the token is in the state directory, file "token")';

/** The refusal of a request that does not meet a route's `auth`, or null when it does. */
function authRefusal(guard: GuardConfig, auth: RouteAuth, req: IncomingMessage, url: URL): Refusal | null {
  if (auth === 'publish') return checkPublishAuth(guard, req, url);
  if (auth === 'token' && !hasToken(guard, req, url)) return { status: 401, message: CONTROL_REFUSAL };
  return null;
}

/**
 * Starts the daemon's one HTTP server: the WebSocket bus, the HTTP API and
 * the security checks, every path from one route table (route-table.ts).
 * Rejects with the listen error (EADDRINUSE included) when the port cannot be bound.
 */
export async function createServer(opts: ServerOptions): Promise<CorralServer> {
  const wsPath = opts.path ?? '/events';
  const guard: GuardConfig = { host: opts.host, port: opts.port, token: opts.token, auth: opts.auth, allowedOrigins: opts.allowedOrigins };
  // One daemon-wide bound on what clients can make the daemon hold: unread output and request bodies draw on it alike.
  const memory = opts.memoryBudget ?? createMemoryBudget();
  const hub = createWsHub({ ...opts, memoryBudget: memory });
  const buckets = createBucketMap(opts.rateLimit);
  const startedAt = Date.now();
  const bodies = createByteBudget(opts.bodyBudget, memory);
  const dashboard = createDashboardRoutes(opts.dashboard);
  const routes = routeTable(wsPath, (u) => hub.accept(u.req, u.socket, u.head, u.url), dashboard);
  // The web dashboard's files at `/` (and index.html for a browser navigating to one of its views): what no route answers.
  // The page carries its first view's data for a client that may read it (as GET /dashboard/components: auth `publish`).
  const serveStatic = createStaticFiles(opts.dashboard?.webDir, (req) =>
    authRefusal(guard, 'publish', req, new URL(req.url ?? '/', 'http://localhost')) === null ? dashboard.firstView(opts.controller ?? undefined) : null,
  );

  function cors(req: IncomingMessage, res: ServerResponse, allow: readonly string[]): void {
    const origin = req.headers.origin;
    // Only allowed origins get CORS headers (checkBrowser refused the others); never `*`.
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-allow-headers', 'content-type, authorization');
      res.setHeader('access-control-allow-methods', `${allowHeader(allow)}, OPTIONS`);
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refusal = checkBrowser(guard, req);
    if (refusal) {
      req.resume();
      return sendError(req, res, refusal.status, refusal.message);
    }
    const asked = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const methods = pathMethods(routes, path, 'handler');
    if (methods.length === 0) {
      req.resume();
      if (serveStatic(req, res, path)) return;
      return sendError(req, res, 404, `no route ${asked} ${path}`);
    }
    cors(req, res, methods);
    if (asked === 'OPTIONS') {
      req.resume();
      res.writeHead(204, { 'access-control-max-age': '600', allow: `${allowHeader(methods)}, OPTIONS` });
      res.end();
      return;
    }
    const found = matchRoute(routes, asked, path, 'handler');
    if (found.kind === 'none') throw new Error(`the route table has ${path} and no route for it`);
    // Control paths ask for the token before saying anything about their methods.
    const auth = found.kind === 'found' ? found.route.auth : found.auth;
    const denied = found.kind === 'found' || auth === 'token' ? authRefusal(guard, auth, req, url) : null;
    if (denied) {
      req.resume();
      return sendError(req, res, denied.status, denied.message, { code: 'WS005' });
    }
    if (found.kind === 'method') {
      req.resume();
      return sendMethodNotAllowed(req, res, asked, path, found.allow);
    }
    const ctx: RouteContext = { req, res, url, opts, guard, hub, bucket: () => buckets.get(req.socket.remoteAddress ?? '?'), startedAt, bodies };
    return found.route.handler!(ctx, found.params);
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const found = matchRoute(routes, req.method ?? 'GET', path, 'upgrade');
    if (found.kind === 'none') return abortHandshake(socket, 404, `no WebSocket endpoint at ${path}; the bus is at ${wsPath}`);
    if (found.kind === 'method') return abortHandshake(socket, 405, `${req.method} is not allowed on ${path}; a WebSocket upgrade is a GET`, { Allow: found.allow.join(', ') });
    // Every check happens here, before any WebSocket exists.
    const refusal = checkBrowser(guard, req) ?? authRefusal(guard, found.route.auth, req, url);
    if (refusal) {
      opts.logger?.warn(`refused a WebSocket upgrade: ${refusal.message}`, { remote: req.socket.remoteAddress });
      return abortHandshake(socket, refusal.status, refusal.message);
    }
    const maxClients = opts.maxClients ?? 1024;
    if (hub.clientCount() >= maxClients) {
      opts.logger?.warn(`refused a WebSocket upgrade: ${maxClients} clients already connected (bus.max_clients)`, { remote: req.socket.remoteAddress });
      return abortHandshake(socket, 503, `too many bus clients: ${maxClients} are connected (bus.max_clients)`);
    }
    found.route.upgrade!({ req, socket, head, url });
  }

  const server = createHttpServer((req, res) => {
    route(req, res).catch((err: Error) => {
      // The URL is logged without its token (a ?token= query parameter is the daemon's credential).
      opts.logger?.error('HTTP handler failed', { url: loggableUrl(req.url), error: err.message });
      if (!res.headersSent) void sendError(req, res, 500, `internal error: ${err.message}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      upgrade(req, socket, head);
    } catch (err) {
      // Nothing one upgrade sends may take the daemon down.
      opts.logger?.error('WebSocket upgrade failed', { url: loggableUrl(req.url), error: (err as Error).message });
      if (!socket.destroyed) abortHandshake(socket, 500, `internal error: ${(err as Error).message}`);
    }
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

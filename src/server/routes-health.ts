import { checkPublishAuth } from './guard.js';
import { sendJson } from './http-util.js';
import type { RouteContext } from './route-context.js';

/**
 * GET /health: anyone who may subscribe sees the whole document; others only
 * learn that this is corral (`corral up` uses that to tell its daemon from another program).
 */
export async function getHealth(ctx: RouteContext): Promise<void> {
  const { req, res, url, opts, hub, startedAt } = ctx;
  req.resume();
  if (checkPublishAuth(ctx.guard, req, url)) return sendJson(req, res, 200, { service: 'corral', status: 'ok' });
  let components = {};
  try {
    components = opts.heartbeat();
  } catch {}
  const now = Date.now();
  const m = process.memoryUsage();
  return sendJson(req, res, 200, {
    service: 'corral',
    status: 'ok',
    pid: process.pid,
    ...(opts.version ? { version: opts.version } : {}),
    ...(opts.config ? { config: opts.config } : {}),
    timestamp: now,
    uptime_ms: now - startedAt,
    components,
    connections: hub.describe(),
    memory: { rss: m.rss, heap_used: m.heapUsed, external: m.external },
    backlog_bytes: hub.backlog(),
    store_pending: opts.store?.pending() ?? 0,
    // Request-body bytes held now, and the most that may be (body-budget.ts).
    request_body_bytes: ctx.bodies.inUse(),
    request_body_budget: ctx.bodies.limit,
    next_check: now + opts.heartbeatMs,
    federation: federationStatus(opts.federation),
  });
}

/** Federation's state; a view that throws is reported, not fatal to /health. */
function federationStatus(view: RouteContext['opts']['federation']): { state: string; last_error?: string } {
  if (!view) return { state: 'off' };
  try {
    return view.status();
  } catch (err) {
    return { state: 'unknown', last_error: (err as Error).message };
  }
}

import { sendError, sendJson } from './http-util.js';
import type { RouteContext } from './route-context.js';
import type { Route } from './routes.js';

const OPS = ['start', 'stop', 'restart'] as const;

function decode(v: string | undefined): string | null {
  try {
    return v === undefined ? null : decodeURIComponent(v);
  } catch {
    return null;
  }
}

/** Federation is off: say how to turn it on. */
function off(ctx: RouteContext): Promise<void> {
  return sendError(ctx.req, ctx.res, 409, 'federation is off: this daemon has no `federation:` in its config (docs/federation.md)');
}

/** GET /federation/hosts: every host's last component table, with its age. */
async function hosts(ctx: RouteContext): Promise<void> {
  ctx.req.resume();
  const view = ctx.opts.federation;
  if (!view || view.status().state === 'off') return off(ctx);
  try {
    return sendJson(ctx.req, ctx.res, 200, { hosts: await view.hosts() });
  } catch (err) {
    return sendError(ctx.req, ctx.res, 502, `reading the hosts' component tables failed: ${(err as Error).message}`);
  }
}

/** POST /api/hosts/:host/components/:name/(start|stop|restart): runs the operation on HOST's daemon over NATS. */
function remoteAction(op: (typeof OPS)[number]): Route {
  return {
    method: 'POST',
    path: `/api/hosts/:host/components/:name/${op}`,
    auth: 'token',
    handler: async (ctx, params) => {
      ctx.req.resume();
      const view = ctx.opts.federation;
      if (!view || view.status().state === 'off') return off(ctx);
      const host = decode(params.host);
      const name = decode(params.name);
      if (!host || !name) return sendError(ctx.req, ctx.res, 400, 'bad host or component name');
      const r = await view.request(host, op, name);
      if (!r.ok) return sendError(ctx.req, ctx.res, r.status, r.error ?? `${op} failed`);
      return sendJson(ctx.req, ctx.res, 200, { ok: true, host, component: { name, pid: r.pid ?? null, state: r.state ?? null } });
    },
  };
}

/** The federation routes: the token always (remote control acts on other machines). */
export const FEDERATION_ROUTES: readonly Route[] = [{ method: 'GET', path: '/federation/hosts', auth: 'token', handler: hosts }, ...OPS.map(remoteAction)];

import { sendError, sendJson } from './http-util.js';
import { CorralError, httpStatusOf } from '../errors.js';
import type { RouteContext } from './route-context.js';
import type { Route } from './routes.js';

type Controller = NonNullable<RouteContext['opts']['controller']>;

/**
 * Runs one control action (the token was checked by the route table);
 * without a supervisor the answer is 503. What the controller throws is
 * answered here: an unknown component 404, a disabled one 409, anything else 500.
 */
async function control(ctx: RouteContext, what: string, act: (c: Controller) => Promise<void>): Promise<void> {
  const { req, res, opts } = ctx;
  req.resume();
  const controller = opts.controller;
  if (!controller) return sendError(req, res, 503, 'no supervisor is running yet');
  try {
    await act(controller);
  } catch (err) {
    // The catalogue's answers (src/errors.ts): an unknown component 404, a disabled one 409 (the request conflicts with the config).
    if (err instanceof CorralError && httpStatusOf(err) < 500) return sendError(req, res, httpStatusOf(err), err.message);
    opts.logger?.error(`${what} failed`, { error: (err as Error).message });
    return sendError(req, res, 500, `${what} failed: ${(err as Error).message}`);
  }
}

function componentAction(action: 'start' | 'stop' | 'restart'): Route {
  return {
    method: 'POST',
    path: `/api/components/:name/${action}`,
    auth: 'token',
    handler: (ctx, params) =>
      control(ctx, `POST /api/components/${params.name}/${action}`, async (c) => {
        let name: string;
        try {
          name = decodeURIComponent(params.name!);
        } catch {
          return sendError(ctx.req, ctx.res, 400, `bad component name ${JSON.stringify(params.name)}`);
        }
        await c[action](name);
        const info = c.list().find((x) => x.name === name) ?? null;
        return sendJson(ctx.req, ctx.res, 200, { ok: true, component: info });
      }),
  };
}

/** The control routes: the token is required always, from loopback too. */
export const CONTROL_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/components', auth: 'token', handler: (ctx) => control(ctx, 'GET /api/components', (c) => sendJson(ctx.req, ctx.res, 200, { components: c.list() })) },
  {
    method: 'POST',
    path: '/api/reload',
    auth: 'token',
    handler: (ctx) =>
      control(ctx, 'POST /api/reload', async (c) => {
        const r = await c.reload();
        return sendJson(ctx.req, ctx.res, r.ok ? 200 : 400, r);
      }),
  },
  {
    method: 'POST',
    path: '/api/shutdown',
    auth: 'token',
    handler: (ctx) =>
      control(ctx, 'POST /api/shutdown', async (c) => {
        await c.shutdown();
        return sendJson(ctx.req, ctx.res, 202, { ok: true, message: 'shutting down' });
      }),
  },
  componentAction('start'),
  componentAction('stop'),
  componentAction('restart'),
];

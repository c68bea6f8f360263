import { BodyError, parseJson, readBody, sendError, sendJson } from './http-util.js';
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

/** A list of strings in a JSON body (`names`, `profiles`), or an error message. */
function stringList(body: Record<string, unknown>, key: string): string[] | string {
  const v = body[key] ?? [];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : `"${key}" must be a list of strings`;
}

/**
 * POST /api/up `{names, profiles}` (`corral up NAME... --profile P` on a running
 * daemon) and POST /api/down `{names}` (`corral down NAME...`): an unknown
 * name or profile is 400 with the ones there are.
 */
function selectionRoute(kind: 'up' | 'down'): Route {
  return {
    method: 'POST',
    path: `/api/${kind}`,
    auth: 'token',
    handler: async (ctx) => {
      let body: Record<string, unknown>;
      try {
        const buf = await readBody(ctx.req, 65_536, '65536-byte limit', { budget: ctx.bodies, res: ctx.res });
        const parsed = buf.length === 0 ? {} : parseJson(buf);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return sendError(ctx.req, ctx.res, 400, 'the body must be a JSON object');
        body = parsed as Record<string, unknown>;
      } catch (err) {
        if (!(err instanceof BodyError)) throw err;
        return sendError(ctx.req, ctx.res, err.status, err.message);
      }
      const names = stringList(body, 'names');
      const profiles = stringList(body, 'profiles');
      if (typeof names === 'string' || typeof profiles === 'string') return sendError(ctx.req, ctx.res, 400, typeof names === 'string' ? names : (profiles as string));
      if (kind === 'down' && names.length === 0) return sendError(ctx.req, ctx.res, 400, '"names" must name at least one component (POST /api/shutdown stops everything)');
      return control(ctx, `POST /api/${kind}`, async (c) => {
        if (!c.up || !c.down) return sendError(ctx.req, ctx.res, 501, `this daemon has no /api/${kind}`);
        const result = kind === 'up' ? await c.up({ names, profiles }) : await c.down(names);
        return sendJson(ctx.req, ctx.res, 200, { ok: true, ...result });
      });
    },
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
  selectionRoute('up'),
  selectionRoute('down'),
  componentAction('start'),
  componentAction('stop'),
  componentAction('restart'),
];

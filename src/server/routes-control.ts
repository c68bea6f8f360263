import { CorralError, httpStatusOf } from '../errors.js';
import { hasToken } from './guard.js';
import { sendError, sendJson, sendMethodNotAllowed } from './http-util.js';
import type { RouteContext } from './route-context.js';

const ACTIONS = new Set(['start', 'stop', 'restart']);

/** The methods a control path answers (for 405 and its Allow header); null for a path with no route. */
function controlMethods(parts: string[]): string[] | null {
  const path = `/${parts.join('/')}`;
  if (path === '/api/components') return ['GET'];
  if (path === '/api/reload' || path === '/api/shutdown') return ['POST'];
  if (parts.length === 4 && parts[1] === 'components' && ACTIONS.has(parts[3]!)) return ['POST'];
  return null;
}

/**
 * The control routes (DESIGN §4): the token is always checked first, from
 * loopback too; without a supervisor they answer 503.
 */
export async function handleControl(ctx: RouteContext, method: string, parts: string[]): Promise<void> {
  const { req, res, url, opts } = ctx;
  if (!hasToken(ctx.guard, req, url)) {
    req.resume();
    return sendError(req, res, 401, 'control needs the token: Authorization: Bearer TOKEN (the token is in the state directory, file "token")', { code: 'WS005' });
  }
  req.resume();
  const controller = opts.controller;
  const route = `${method} /${parts.join('/')}`;
  const known =
    route === 'GET /api/components' ||
    route === 'POST /api/reload' ||
    route === 'POST /api/shutdown' ||
    (method === 'POST' && parts.length === 4 && parts[1] === 'components' && ACTIONS.has(parts[3]!));
  if (!known) {
    const allow = controlMethods(parts);
    if (allow) return sendMethodNotAllowed(req, res, method, `/${parts.join('/')}`, allow);
    return sendError(req, res, 404, `no route ${route}`);
  }
  if (!controller) return sendError(req, res, 503, 'no supervisor is running yet');
  try {
    if (route === 'GET /api/components') return await sendJson(req, res, 200, { components: controller.list() });
    if (route === 'POST /api/reload') {
      const r = await controller.reload();
      return await sendJson(req, res, r.ok ? 200 : 400, r);
    }
    if (route === 'POST /api/shutdown') {
      await controller.shutdown();
      return await sendJson(req, res, 202, { ok: true, message: 'shutting down' });
    }
    let name: string;
    try {
      name = decodeURIComponent(parts[2]!);
    } catch {
      return await sendError(req, res, 400, `bad component name ${JSON.stringify(parts[2])}`);
    }
    const action = parts[3] as 'start' | 'stop' | 'restart';
    await controller[action](name);
    const info = controller.list().find((c) => c.name === name) ?? null;
    return await sendJson(req, res, 200, { ok: true, component: info });
  } catch (err) {
    // The catalogue's answers (src/errors.ts): an unknown component 404, a disabled one 409 (the request conflicts with the config).
    if (err instanceof CorralError && httpStatusOf(err) < 500) return sendError(req, res, httpStatusOf(err), err.message);
    opts.logger?.error(`${route} failed`, { error: (err as Error).message });
    return sendError(req, res, 500, `${route} failed: ${(err as Error).message}`);
  }
}

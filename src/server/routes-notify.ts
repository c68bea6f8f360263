import { BodyError, parseJson, readBody, sendError, sendJson } from './http-util.js';
import type { Route } from './routes.js';

/** POST /api/notify/test `{rule?}`: sends a sample through one rule or each; 200 when every one was delivered, 502 otherwise. */
export const NOTIFY_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/api/notify/test',
    auth: 'token',
    handler: async (ctx) => {
      const { req, res, opts } = ctx;
      let rule: string | undefined;
      try {
        const buf = await readBody(req, 4096, '4096-byte limit', { budget: ctx.bodies, res });
        const body = buf.length === 0 ? {} : (parseJson(buf) as { rule?: unknown });
        if (body !== null && typeof body === 'object' && typeof body.rule === 'string') rule = body.rule;
      } catch (err) {
        if (!(err instanceof BodyError)) throw err;
        return sendError(req, res, err.status, err.message);
      }
      if (!opts.notifier) return sendError(req, res, 503, 'notifications are not available');
      if (opts.notifier.ruleNames().length === 0) return sendError(req, res, 404, 'no notify rules in the config (see docs/notify.md)');
      try {
        const results = await opts.notifier.test(rule);
        return sendJson(req, res, results.every((r) => r.ok) ? 200 : 502, { results });
      } catch (err) {
        return sendError(req, res, 404, (err as Error).message);
      }
    },
  },
];

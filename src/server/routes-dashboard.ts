import type { DashboardSource } from './types.js';
import { createRedactor, type RedactOptions, type Redactor } from '../bus/redact.js';
import { readLogTail } from '../logs/read-log-tail.js';
import { terminalText } from '../logs/terminal-text.js';
import type { DashboardComponent, DashboardComponents, DashboardLog, DashboardLogLine } from '../schema/dashboard.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { checkPublishAuth } from './guard.js';
import { sendError, sendJson, sendMethodNotAllowed } from './http-util.js';
import type { RouteContext } from './route-context.js';
import type { SampleHistory } from './sample-history.js';

/** Default and largest number of log lines one request returns. */
export const LOG_LINES_DEFAULT = 200;
export const LOG_LINES_MAX = 2000;

/** The table row a read-only viewer sees: no attach socket (it drives a terminal), reasons masked like events. */
export function publicComponent(c: ComponentInfo, samples: SampleHistory, since: number | undefined, redactor: Redactor): DashboardComponent {
  return {
    name: c.name,
    plugin: c.plugin,
    state: c.state,
    pid: c.pid,
    generation: c.generation,
    uptime_ms: c.uptime_ms,
    restarts: c.restarts,
    health: c.health,
    reason: c.reason === null ? null : redactor.redactString(c.reason),
    cpu_percent: c.cpu_percent,
    memory_mb: c.memory_mb,
    next_restart_in_ms: c.next_restart_in_ms,
    last_exit: c.last_exit,
    depends_on: c.depends_on,
    attachable: c.attach !== undefined,
    samples: samples.since(c.name, since),
  };
}

/**
 * The dashboard's read-only routes, under `/dashboard/`: whoever may subscribe
 * to the bus may call them (loopback without the token unless `auth:
 * required`), as reading events is; control stays on the token-only `/api/`.
 *
 * - `GET /dashboard/components[?since=MS]`: the component table with the
 *   resource samples taken after `since`.
 * - `GET /dashboard/logs/NAME[?lines=N]`: the last N lines of a component's
 *   log (default 200, at most 2000), terminal escapes removed, secrets masked.
 */
export function createDashboardRoutes(source: DashboardSource | undefined) {
  let redactFor: RedactOptions | undefined | null = null;
  let redactor: Redactor = createRedactor();
  const currentRedactor = (): Redactor => {
    const wanted = source?.redact?.();
    if (wanted !== redactFor) {
      redactFor = wanted;
      try {
        redactor = createRedactor(wanted ?? {});
      } catch {
        // An invalid pattern never reaches a running bus (the reload refuses it); keep the last good one.
      }
    }
    return redactor;
  };

  return async function handleDashboard(ctx: RouteContext, method: string, parts: string[]): Promise<void> {
    const { req, res, url } = ctx;
    req.resume();
    const path = `/${parts.join('/')}`;
    const known = path === '/dashboard/components' || (parts.length === 3 && parts[1] === 'logs');
    if (!known) return sendError(req, res, 404, `no route ${method} ${path}`);
    if (method !== 'GET') return sendMethodNotAllowed(req, res, method, path, ['GET']);
    const refusal = checkPublishAuth(ctx.guard, req, url);
    if (refusal) return sendError(req, res, refusal.status, refusal.message, { code: 'WS005' });
    if (!ctx.bucket().take(1)) return sendError(req, res, 429, `rate limited: more than ${ctx.opts.rateLimit.rate} requests/s from ${req.socket.remoteAddress}`, { code: 'WS004' }, { 'retry-after': '1' });
    const controller = ctx.opts.controller;
    if (!controller || !source) return sendError(req, res, 503, 'no supervisor is running yet');
    const noStore = { 'cache-control': 'no-store' };

    if (parts[1] === 'components') {
      const sinceText = url.searchParams.get('since');
      const since = sinceText === null || sinceText === '' ? undefined : Number(sinceText);
      if (since !== undefined && !(Number.isFinite(since) && since >= 0)) {
        return sendError(req, res, 400, `since must be a Unix time in ms, got ${JSON.stringify(sinceText)}`);
      }
      const r = currentRedactor();
      const body: DashboardComponents = {
        components: controller.list().map((c) => publicComponent(c, source.samples, since, r)),
        server_time: Date.now(),
        samples_kept: source.samples.capacity,
      };
      return sendJson(req, res, 200, body, noStore);
    }

    let name: string;
    try {
      name = decodeURIComponent(parts[2]!);
    } catch {
      return sendError(req, res, 400, `bad component name ${JSON.stringify(parts[2])}`);
    }
    const linesText = url.searchParams.get('lines');
    const lines = linesText === null ? LOG_LINES_DEFAULT : Number(linesText);
    if (!Number.isInteger(lines) || lines < 0 || lines > LOG_LINES_MAX) {
      return sendError(req, res, 400, `lines must be a whole number from 0 to ${LOG_LINES_MAX}, got ${JSON.stringify(linesText)}`);
    }
    // Only a component of the config: the name becomes a file name, and the daemon's own log is not a component's.
    const info = controller.list().find((c) => c.name === name);
    if (!info) {
      const names = controller.list().map((c) => c.name);
      return sendError(req, res, 404, `no component named "${name}"; the components are: ${names.length > 0 ? names.join(', ') : '(none)'}`);
    }
    const r = currentRedactor();
    const tail: DashboardLogLine[] = readLogTail(source.logsDir, name, lines).map((l) => ({ time: l.time, stream: l.stream, text: r.redactString(terminalText(l.text, false)) }));
    const note =
      info.plugin === 'tmux'
        ? `${name} runs in tmux: its output is in its tmux window (corral attach ${name}); below, what corral logged about it`
        : tail.length === 0
          ? `${name} has printed nothing yet`
          : null;
    const body: DashboardLog = { component: name, lines: tail, note };
    return sendJson(req, res, 200, body, noStore);
  };
}

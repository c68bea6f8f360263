import type { DashboardSource } from './types.js';
import { createRedactor, type RedactOptions, type Redactor } from '../bus/redact.js';
import { readLogTail } from '../logs/read-log-tail.js';
import { terminalText } from '../logs/terminal-text.js';
import type { DashboardComponent, DashboardComponents, DashboardLog, DashboardLogLine } from '../schema/dashboard.js';
import type { ComponentInfo, Controller } from '../supervisor/types.js';
import { sendError, sendJson } from './http-util.js';
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
    ...(c.replica_of !== undefined ? { replica_of: c.replica_of } : {}),
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

  /**
   * What both routes check first (the path, the method and who may ask are
   * the route table's): the rate limit and a running supervisor. Null when
   * the request was answered with a refusal.
   */
  const admit = (ctx: RouteContext): { controller: Controller; source: DashboardSource } | null => {
    const { req, res } = ctx;
    req.resume();
    if (!ctx.bucket().take(1)) {
      void sendError(req, res, 429, `rate limited: more than ${ctx.opts.rateLimit.rate} requests/s from ${req.socket.remoteAddress}`, { code: 'WS004' }, { 'retry-after': '1' });
      return null;
    }
    const controller = ctx.opts.controller;
    if (!controller || !source) {
      void sendError(req, res, 503, 'no supervisor is running yet');
      return null;
    }
    return { controller, source };
  };
  const noStore = { 'cache-control': 'no-store' };

  return {
    /**
     * The component table the page's first view is drawn from, as the JSON
     * of `GET /dashboard/components` without the samples (the page reads
     * them next): static.ts puts it into index.html, so the first rows need
     * no request after the page's own. Null before the supervisor runs.
     */
    firstView(controller: Controller | undefined): string | null {
      if (!controller || !source) return null;
      const r = currentRedactor();
      const body: DashboardComponents = {
        components: controller.list().map((c) => ({ ...publicComponent(c, source.samples, Number.POSITIVE_INFINITY, r), samples: [] })),
        server_time: Date.now(),
        samples_kept: source.samples.capacity,
      };
      return JSON.stringify(body);
    },

    /** GET /dashboard/components[?since=MS] */
    async components(ctx: RouteContext): Promise<void> {
      const ok = admit(ctx);
      if (!ok) return;
      const { req, res, url } = ctx;
      const sinceText = url.searchParams.get('since');
      const since = sinceText === null || sinceText === '' ? undefined : Number(sinceText);
      if (since !== undefined && !(Number.isFinite(since) && since >= 0)) {
        return sendError(req, res, 400, `since must be a Unix time in ms, got ${JSON.stringify(sinceText)}`);
      }
      const r = currentRedactor();
      const body: DashboardComponents = {
        components: ok.controller.list().map((c) => publicComponent(c, ok.source.samples, since, r)),
        server_time: Date.now(),
        samples_kept: ok.source.samples.capacity,
      };
      return sendJson(req, res, 200, body, noStore);
    },

    /** GET /dashboard/logs/NAME[?lines=N] */
    async log(ctx: RouteContext, params: Record<string, string>): Promise<void> {
      const ok = admit(ctx);
      if (!ok) return;
      const { req, res, url } = ctx;
      const { controller } = ok;
      let name: string;
      try {
        name = decodeURIComponent(params.name!);
      } catch {
        return sendError(req, res, 400, `bad component name ${JSON.stringify(params.name)}`);
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
      const tail: DashboardLogLine[] = readLogTail(ok.source.logsDir, name, lines).map((l) => ({ time: l.time, stream: l.stream, text: r.redactString(terminalText(l.text, false)) }));
      const note =
        info.plugin === 'tmux'
          ? `${name} runs in tmux: its output is in its tmux window (corral attach ${name}); below, what corral logged about it`
          : tail.length === 0
            ? `${name} has printed nothing yet`
            : null;
      const body: DashboardLog = { component: name, lines: tail, note };
      return sendJson(req, res, 200, body, noStore);
    },
  };
}

/** The two data routes, for the route table (route-table.ts). */
export type DashboardRoutes = ReturnType<typeof createDashboardRoutes>;

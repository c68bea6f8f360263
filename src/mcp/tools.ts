import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { logFileName, readLogTail } from '../logs/index.js';
import type { CorralEvent } from '../schema/events.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { parseTimePoint, TIME_POINT_FORMS } from '../util/time-point.js';
import { compactEvent, eventLine, MAX_EVENTS, MAX_LOG_LINES_READ, summariseLog, type CompactEvent } from './bounded.js';
import { readMaskedConfig } from './config-view.js';
import type { DaemonLink } from './daemon-link.js';

const NAME = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'a component name: letters, digits, _ . - (as in the config)')
  .max(128)
  .describe('The component name, as in the config and in list_components.');

const TIME = (what: string) => z.string().max(64).describe(`${what}: an age counted back from now (30s, 10m, 2h, 1d), an ISO date, or Unix milliseconds.`);

/** A component row with the figures a model needs, in seconds rather than ms. */
export function componentRow(c: ComponentInfo) {
  return {
    name: c.name,
    plugin: c.plugin,
    state: c.state,
    pid: c.pid,
    uptime_s: c.uptime_ms === null ? null : Math.round(c.uptime_ms / 1000),
    restarts: c.restarts,
    health: c.health,
    cpu_percent: c.cpu_percent,
    memory_mb: c.memory_mb,
    last_exit: c.last_exit,
    reason: c.reason,
    next_restart_in_s: c.next_restart_in_ms === null ? null : Math.round(c.next_restart_in_ms / 100) / 10,
    depends_on: c.depends_on,
  };
}

export function componentLine(c: ReturnType<typeof componentRow>): string {
  const parts = [`${c.name}: ${c.state}`];
  if (c.pid !== null) parts.push(`pid ${c.pid}`);
  if (c.uptime_s !== null) parts.push(`up ${c.uptime_s}s`);
  parts.push(`restarts ${c.restarts}`);
  if (c.health) parts.push(`health ${c.health}`);
  if (c.cpu_percent !== null) parts.push(`cpu ${c.cpu_percent.toFixed(1)}%`);
  if (c.memory_mb !== null) parts.push(`mem ${c.memory_mb.toFixed(1)} MB`);
  if (c.last_exit) parts.push(`last exit: ${c.last_exit}`);
  if (c.reason) parts.push(`reason: ${c.reason}`);
  if (c.next_restart_in_s !== null) parts.push(`next restart in ${c.next_restart_in_s}s`);
  return parts.join(', ');
}

function result(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

function timeArg(key: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = parseTimePoint(value);
  if (t === null) throw new Error(`${key}: expected ${TIME_POINT_FORMS}, got ${JSON.stringify(value)}`);
  return t;
}

/** The last few lifecycle events (started, stopped with exit and reason, health) of one component; [] when the daemon cannot say. */
async function lifecycle(link: DaemonLink, name: string, count: number): Promise<CompactEvent[]> {
  const page = await link.events({ event_type: 'component.*,error.*', limit: MAX_EVENTS, order: 'desc' });
  return page.events
    .filter((e: CorralEvent) => (e.payload as { component?: unknown } | undefined)?.component === name)
    .slice(-count)
    .map(compactEvent);
}

export function registerReadTools(server: McpServer, link: DaemonLink): void {
  server.registerTool(
    'list_components',
    {
      title: 'List components',
      description:
        'Every component corral supervises, with its state (pending, starting, running, healthy, unhealthy, stopping, stopped, exited, backoff, failed, disabled), pid, uptime, restart count, health, CPU and memory, how its last run ended (last_exit) and why it is failed or unhealthy (reason). Start here to see what is running and what is broken.',
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const rows = (await link.components()).map(componentRow);
      const text = rows.length === 0 ? 'no components' : rows.map(componentLine).join('\n');
      return result(text, { components: rows });
    },
  );

  server.registerTool(
    'component_logs',
    {
      title: 'Component logs',
      description:
        "A component's captured stdout/stderr, newest last, as plain text (terminal colours and cursor movement removed), plus its last lifecycle events (starts, stops with exit code, signal and reason, health changes, errors): together they say why a component crashed or restarted. At most 200 lines are shown verbatim; asking for more summarises the older lines (how many, the time span, the distinct error and warning lines with counts).",
      inputSchema: {
        name: NAME,
        lines: z.number().int().min(1).max(MAX_LOG_LINES_READ).default(100).describe('How many of the newest lines to read (default 100). More than 200 are summarised.'),
        since: TIME('Only lines written since then').optional(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ name, lines, since }) => {
      const dir = link.logsDir();
      if (!dir) throw new Error('no config found, so no log directory: start `corral mcp` in the project directory or pass -c FILE');
      const sinceMs = timeArg('since', since);
      const exists = existsSync(join(dir, logFileName(name)));
      let read = exists ? readLogTail(dir, name, lines) : [];
      if (sinceMs !== undefined) read = read.filter((l) => l.time === '' || Date.parse(l.time) >= sinceMs);
      const { lines: shown, summary } = summariseLog(read, lines);
      let events: CompactEvent[] = [];
      let eventsNote: string | null = null;
      try {
        events = await lifecycle(link, name, 8);
      } catch (err) {
        eventsNote = `lifecycle events unavailable: ${(err as Error).message}`;
      }
      const text: string[] = [];
      if (!exists) text.push(`no log for "${name}" yet (it has printed nothing, runs in tmux, or is not a component of this config)`);
      if (summary) {
        text.push(`${summary.omitted_lines} older lines summarised (${summary.omitted_from ?? '?'} … ${summary.omitted_to ?? '?'}, ${summary.stderr_lines} on stderr)`);
        for (const n of summary.notable) text.push(`  ×${n.count} ${n.text}`);
      }
      if (shown.length > 0) text.push(`last ${shown.length} lines:`, ...shown.map((l) => `${l.time} ${l.stream} ${l.text}`));
      if (events.length > 0) text.push('lifecycle events:', ...events.map(eventLine));
      if (eventsNote) text.push(eventsNote);
      return result(text.join('\n'), { name, lines: shown, summary, lifecycle: events, ...(eventsNote ? { note: eventsNote } : {}) });
    },
  );

  server.registerTool(
    'query_events',
    {
      title: 'Query events',
      description:
        "Events from corral's bus history: component lifecycle (component.started/stopped/health), errors (error.CODE), resource alerts (resource.alert), config changes (config.changed), Claude Code hooks (PreToolUse, PostToolUse, Stop, Notification, …) and whatever components publish. Filters take comma lists and prefixes (component.*). Without since, the newest events; page on with next_cursor. Payloads are cut to 1,000 characters and secrets are masked.",
      inputSchema: {
        event_type: z.string().max(4096).optional().describe('Event types, comma-separated; a trailing .* matches a prefix (error.*,component.stopped).'),
        source: z.string().max(4096).optional().describe('Sources, comma-separated (corral for corral itself, claude-code for hooks, or a component name).'),
        session_id: z.string().max(4096).optional().describe('Session ids, comma-separated (a Claude Code session).'),
        host: z.string().max(4096).optional().describe('Hosts, comma-separated: with federation on, the corral host an event came from (each event says its host).'),
        since: TIME('Only events since then').optional(),
        until: TIME('Only events until then').optional(),
        limit: z.number().int().min(1).max(MAX_EVENTS).default(50).describe('At most this many events (default 50, max 200).'),
        cursor: z.string().max(64).optional().describe('next_cursor of an earlier answer, to read the next page.'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ event_type, source, session_id, host, since, until, limit, cursor }) => {
      const sinceMs = timeArg('since', since);
      const untilMs = timeArg('until', until);
      const page = await link.events({
        event_type,
        source,
        session_id,
        host,
        since: sinceMs === undefined ? undefined : String(sinceMs),
        until: untilMs === undefined ? undefined : String(untilMs),
        limit,
        cursor,
        order: sinceMs === undefined ? 'desc' : 'asc',
      });
      const events = page.events.map(compactEvent);
      const text = [`${events.length} events${page.next_cursor ? ` (more: cursor ${page.next_cursor})` : ''}`, ...events.map(eventLine)].join('\n');
      return result(text, { events, next_cursor: page.next_cursor });
    },
  );

  server.registerTool(
    'get_config',
    {
      title: 'Get config',
      description:
        "The effective corral config the daemon runs (defaults filled in, durations in ms, sizes in bytes): components, their commands, dependencies, health probes, restart and resource settings. Environment variable values are masked (their names are shown), as are secrets.",
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const file = link.configPath();
      if (!file) throw new Error('no config found (corral.yaml or config/ecosystem.yaml from the working directory up); start `corral mcp` with -c FILE');
      const r = await readMaskedConfig(file);
      if (!r.ok) return { ...result(`${file} does not load:\n${r.errors.join('\n')}`, { file, errors: r.errors }), isError: true };
      return result(JSON.stringify(r.config, null, 1), { file: r.file, config: r.config });
    },
  );

  server.registerTool(
    'recent_errors',
    {
      title: 'Recent errors',
      description:
        "What went wrong lately: corral's error events (crash loops, start failures, failed health checks, config errors), warning and critical resource alerts, and the components that are failed, unhealthy or in backoff now with their reason and last exit.",
      inputSchema: {
        since: TIME('Look back to then (default 1h)').optional(),
        limit: z.number().int().min(1).max(100).default(20).describe('At most this many events (default 20).'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ since, limit }) => {
      const sinceMs = timeArg('since', since ?? '1h')!;
      const [components, page] = await Promise.all([link.components(), link.events({ event_type: 'error.*,resource.alert', since: String(sinceMs), limit: MAX_EVENTS, order: 'asc' })]);
      const events = page.events
        .filter((e) => e.event_type !== 'resource.alert' || ['warning', 'critical'].includes(String((e.payload as { alert_level?: unknown }).alert_level)))
        .slice(-limit)
        .map(compactEvent);
      const troubled = components.filter((c) => ['failed', 'unhealthy', 'backoff'].includes(c.state) || c.health === 'unhealthy').map(componentRow);
      const text = [
        troubled.length === 0 ? 'no component is failed, unhealthy or in backoff' : 'components in trouble:',
        ...troubled.map((c) => `  ${componentLine(c)}`),
        events.length === 0 ? `no errors or alerts since ${new Date(sinceMs).toISOString()}` : `${events.length} errors and alerts:`,
        ...events.map((e) => `  ${eventLine(e)}`),
      ].join('\n');
      return result(text, { components: troubled, events, since: new Date(sinceMs).toISOString() });
    },
  );
}

/** start_component, stop_component, restart_component, reload_config: registered only with --allow-control. */
export function registerControlTools(server: McpServer, link: DaemonLink): void {
  const actions = [
    ['start', 'Start a stopped, exited or failed component (and what it depends on is not started: start those first).'],
    ['stop', 'Stop a component (its whole process tree) and keep it stopped until started again.'],
    ['restart', 'Restart a component: stop its whole process tree, then start it again (clears a failed state). Returns the new pid.'],
  ] as const;
  for (const [action, description] of actions) {
    server.registerTool(
      `${action}_component`,
      { title: `${action[0]!.toUpperCase()}${action.slice(1)} component`, description, inputSchema: { name: NAME }, annotations: { destructiveHint: action !== 'start', openWorldHint: false } },
      async ({ name }) => {
        const info = await link.control(action, name);
        const row = info ? componentRow(info) : null;
        return result(row ? `${action}: done; ${componentLine(row)}` : `${action} ${name}: done`, { ok: true, component: row });
      },
    );
  }
  server.registerTool(
    'reload_config',
    {
      title: 'Reload config',
      description: 'Re-read the config file and apply what changed (restarting only the components whose settings changed). An invalid file changes nothing and its errors are returned with their lines.',
      inputSchema: {},
      annotations: { destructiveHint: true, openWorldHint: false },
    },
    async () => {
      const r = await link.reload();
      const errors = (r.errors ?? []).map((e) => `${e.path || '(file)'}${e.line ? ` (line ${e.line})` : ''}: ${e.message}`);
      const text = [r.message, ...errors].join('\n');
      return { ...result(text, { ok: r.ok, message: r.message, errors }), ...(r.ok ? {} : { isError: true }) };
    },
  );
}

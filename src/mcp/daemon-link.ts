import { CorralError } from '../errors.js';
import { apiRequest, findDaemon, type DaemonTarget } from '../cli/daemon-client.js';
import { statePaths } from '../daemon/paths.js';
import type { CorralEvent } from '../schema/events.js';
import type { ComponentInfo, ReloadResult } from '../supervisor/types.js';

/** A page of history as `GET /events` answers it. */
export interface EventPage {
  events: CorralEvent[];
  next_cursor: string | null;
}

/** The bus filters and paging that `query_events` passes on to `GET /events`. */
export interface EventQuery {
  event_type?: string;
  source?: string;
  session_id?: string;
  host?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
  order?: 'asc' | 'desc';
}

/** An answer of the daemon that a tool reports as its error (the model reads `message`). */
export class DaemonAnswerError extends CorralError {
  constructor(message: string) {
    super('MCP001', [message]);
  }
}

/**
 * How `corral mcp` reaches the daemon. The target is found again on every
 * call (as every CLI command finds it once): an MCP server started before the
 * daemon, or kept across a `corral down` and `up` on another port, reaches
 * whichever daemon runs now.
 */
export interface DaemonLink {
  target(): DaemonTarget;
  /** The config file the daemon runs (null when none was found). */
  configPath(): string | null;
  /** The directory of the component logs (null without a config). */
  logsDir(): string | null;
  components(): Promise<ComponentInfo[]>;
  events(query: EventQuery): Promise<EventPage>;
  control(action: 'start' | 'stop' | 'restart', name: string): Promise<ComponentInfo | null>;
  reload(): Promise<ReloadResult>;
}

function errorText(body: unknown, status: number): string {
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') return (body as { error: string }).error;
  if (typeof body === 'string' && body.trim() !== '') return body.trim();
  return `HTTP ${status}`;
}

export function createDaemonLink(configFlag?: string): DaemonLink {
  const target = () => findDaemon(configFlag);
  return {
    target,
    configPath: () => target().configPath,
    logsDir() {
      const t = target();
      return t.stateDir ? statePaths(t.stateDir).logs : null;
    },
    async components() {
      const res = await apiRequest<{ components: ComponentInfo[] }>(target(), 'GET', '/api/components');
      if (res.status !== 200) throw new DaemonAnswerError(`the daemon refused the component list: ${errorText(res.body, res.status)}`);
      return res.body.components;
    },
    async events(query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
      const res = await apiRequest<EventPage>(target(), 'GET', `/events?${q.toString()}`);
      if (res.status !== 200 || !Array.isArray(res.body?.events)) throw new DaemonAnswerError(`the daemon refused the query: ${errorText(res.body, res.status)}`);
      return res.body;
    },
    async control(action, name) {
      const res = await apiRequest<{ component: ComponentInfo | null }>(target(), 'POST', `/api/components/${encodeURIComponent(name)}/${action}`, undefined, 60_000);
      if (res.status !== 200) throw new DaemonAnswerError(`${action} ${name}: ${errorText(res.body, res.status)}`);
      return res.body.component;
    },
    async reload() {
      const res = await apiRequest<ReloadResult>(target(), 'POST', '/api/reload', undefined, 60_000);
      if (res.status !== 200 && res.status !== 400) throw new DaemonAnswerError(`reload: ${errorText(res.body, res.status)}`);
      return res.body;
    },
  };
}

import { api, touch } from '../core.js';
import { summarizeEvent } from '../../../src/schema/event-summary.js';
import type { CorralEvent } from '../types.js';

/** What the timeline tells: lifecycle, health, resource alerts, config changes and errors. */
export const TIMELINE_TYPES = 'component.started,component.stopped,component.health,resource.alert,config.changed,error.*';
export const TIMELINE_MAX = 5000;
/** The window the page reads at start. */
export const TIMELINE_SPAN_MS = 3_600_000;

export function isTimelineEvent(e: CorralEvent): boolean {
  const t = e.event_type;
  return t === 'component.started' || t === 'component.stopped' || t === 'component.health' || t === 'resource.alert' || t === 'config.changed' || t.startsWith('error.');
}

/** Alerts and errors: the rows the alert list shows. */
export function isAlert(e: CorralEvent): boolean {
  return e.event_type === 'resource.alert' || e.event_type.startsWith('error.');
}

export const timeline = {
  /** Oldest first. */
  events: [] as CorralEvent[],
  lastConfig: null as CorralEvent | null,
  /** The last error.CFG001 (the config on disk did not load), however old. */
  lastConfigError: null as CorralEvent | null,
  loaded: false,
};

/**
 * While the config on disk is invalid (its last CFG001 is newer than the last
 * config.changed, which a valid reload publishes): how many errors it has.
 */
export function configInvalid(): { errors: number } | null {
  const err = timeline.lastConfigError;
  if (!err || (timeline.lastConfig && timeline.lastConfig.timestamp >= err.timestamp)) return null;
  const ctx = ((err.payload as { context?: { errors?: unknown } }).context ?? {}) as { errors?: unknown };
  return { errors: Array.isArray(ctx.errors) ? ctx.errors.length : 0 };
}

function newer(held: CorralEvent | null, e: CorralEvent): boolean {
  return !held || held.timestamp <= e.timestamp;
}
const ids = new Set<string>();

function add(e: CorralEvent): boolean {
  if (ids.has(e.id)) return false;
  ids.add(e.id);
  const list = timeline.events;
  // Nearly always the newest: append; otherwise insert in order.
  if (list.length === 0 || list[list.length - 1]!.timestamp <= e.timestamp) list.push(e);
  else {
    let i = list.length - 1;
    while (i > 0 && list[i - 1]!.timestamp > e.timestamp) i--;
    list.splice(i, 0, e);
  }
  if (list.length > TIMELINE_MAX) for (const old of list.splice(0, list.length - TIMELINE_MAX)) ids.delete(old.id);
  if (e.event_type === 'config.changed' && newer(timeline.lastConfig, e)) timeline.lastConfig = e;
  if (e.event_type === 'error.CFG001' && newer(timeline.lastConfigError, e)) timeline.lastConfigError = e;
  return true;
}

export function timelineEvent(e: CorralEvent): void {
  if (isTimelineEvent(e) && add(e)) touch('timeline');
}

/** The last hour, from the history; and the last config plan, however old. */
export async function loadTimeline(): Promise<void> {
  const since = Date.now() - TIMELINE_SPAN_MS;
  const [r, cfg, cfgError] = await Promise.all([
    api<{ events: CorralEvent[] }>(`/events?event_type=${encodeURIComponent(TIMELINE_TYPES)}&since=${since}&limit=${TIMELINE_MAX}&order=desc`),
    api<{ events: CorralEvent[] }>(`/events?event_type=config.changed&limit=1&order=desc`),
    api<{ events: CorralEvent[] }>(`/events?event_type=error.CFG001&limit=1&order=desc`),
  ]);
  for (const e of r.body?.events ?? []) add(e);
  const last = cfg.body?.events[0];
  if (last && newer(timeline.lastConfig, last)) timeline.lastConfig = last;
  const lastError = cfgError.body?.events[0];
  if (lastError && newer(timeline.lastConfigError, lastError)) timeline.lastConfigError = lastError;
  timeline.loaded = true;
  touch('timeline');
}

/**
 * One line for an event of the timeline (and its tooltip): the words of
 * `corral events` and the events view (src/schema/event-summary.ts), with
 * the verb a start lacks there and an error's code in front.
 */
export function describe(e: CorralEvent): string {
  const p = e.payload as Record<string, unknown>;
  if (e.event_type === 'component.started') {
    const run = typeof p.generation === 'number' && p.generation > 1 ? `, run ${p.generation}` : '';
    return `${String(p.component ?? '')} started (pid ${String(p.pid)}${run})`;
  }
  if (e.event_type.startsWith('error.')) return `${e.event_type.slice(6)} ${summarizeEvent(e)}`;
  return summarizeEvent(e);
}

/** `+a −b ↻c ~d` of a config.changed payload, in words. */
export function planText(p: Record<string, unknown>): string {
  const list = (k: string) => (Array.isArray(p[k]) ? (p[k] as string[]) : []);
  const parts: string[] = [];
  for (const [k, word] of [
    ['added', 'added'],
    ['removed', 'removed'],
    ['restarted', 'restarted'],
    ['updated', 'updated in place'],
  ] as const) {
    const l = list(k);
    if (l.length > 0) parts.push(`${word} ${l.join(', ')}`);
  }
  if (typeof p.unchanged === 'number') parts.push(`${p.unchanged} unchanged`);
  return parts.join('; ') || 'no change';
}

/** How serious an event of the timeline is, for its colour. */
export function severity(e: CorralEvent): 'ok' | 'info' | 'warning' | 'critical' | 'muted' {
  const p = e.payload as Record<string, unknown>;
  switch (e.event_type) {
    case 'component.started':
      return 'ok';
    case 'component.stopped':
      return p.reason === 'stopped' || p.reason === 'exited' ? 'muted' : 'critical';
    case 'component.health':
      return p.status === 'healthy' ? 'ok' : 'warning';
    case 'resource.alert':
      return p.alert_level === 'critical' ? 'critical' : p.alert_level === 'warning' ? 'warning' : 'info';
    case 'config.changed':
      return 'info';
    default:
      return 'critical';
  }
}

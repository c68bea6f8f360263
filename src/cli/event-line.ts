import type { CorralEvent } from '../schema/events.js';
import { paint, truncate, type Color } from './format.js';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local time of an event: `HH:MM:SS.mmm` today, with the date on other days. */
export function formatEventTime(ts: number, now: number = Date.now()): string {
  const d = new Date(ts);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

function names(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : [];
}

/**
 * A reload plan in one line: `+added −removed ↻restarted ~updated`, then the
 * ecosystem-wide sections and bus settings that changed, the unchanged count
 * and what triggered it, e.g. `+d −c ↻b ~a, settings: resources, 1 unchanged (file)`.
 */
export function summarizeConfigChanged(p: Record<string, unknown>): string {
  const parts: string[] = [];
  const marks: [string, unknown][] = [['+', p.added], ['−', p.removed], ['↻', p.restarted], ['~', p.updated]];
  const components = marks.flatMap(([mark, list]) => names(list).map((n) => `${mark}${n}`));
  if (components.length > 0) parts.push(components.join(' '));
  const settings = names(p.settings);
  if (settings.length > 0) parts.push(`settings: ${settings.join(' ')}`);
  const bus = (p.bus ?? {}) as { changed?: unknown; rebind?: unknown };
  const busKeys = names(bus.changed);
  if (busKeys.length > 0) parts.push(`bus: ${busKeys.join(' ')}${bus.rebind === true ? ' (to a new address)' : ''}`);
  // The CFG001 is over and the file is the applied one again: an empty plan that says so.
  if (p.valid_again === true) parts.unshift('valid again, nothing to apply');
  else if (parts.length === 0) parts.push('no changes');
  if (typeof p.unchanged === 'number') parts.push(`${p.unchanged} unchanged`);
  const trigger = str(p.trigger);
  return `${parts.join(', ')}${trigger ? ` (${trigger})` : ''}`;
}

/** A one-line description of what the event is about, from the fields each kind of event has. */
export function summarizeEvent(e: CorralEvent): string {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  if (e.summary) return e.summary;
  if (e.event_type.startsWith('error.')) return [str(p.component), str(p.error_message)].filter(Boolean).join(': ');
  if (e.event_type.startsWith('component.')) {
    const detail = str(p.reason) ?? str(p.status) ?? (p.pid !== undefined && p.pid !== null ? `pid ${String(p.pid)}` : undefined);
    return [str(p.component), detail].filter(Boolean).join(' ');
  }
  if (e.event_type === 'config.changed') return summarizeConfigChanged(p);
  if (e.event_type === 'resource.alert') return [str(p.component), str(p.alert_level), str(p.message)].filter(Boolean).join(' ');
  if (p.tool_name !== undefined) {
    const input = (p.tool_input ?? {}) as Record<string, unknown>;
    const arg = str(input.command) ?? str(input.file_path) ?? str(input.pattern) ?? str(input.query) ?? str(input.url) ?? '';
    return `${String(p.tool_name)}${arg ? ` ${arg}` : ''}`;
  }
  const text = str(p.prompt) ?? str(p.message) ?? str(p.component);
  if (text) return text;
  const json = JSON.stringify(p);
  return json === '{}' ? '' : json;
}

function typeColor(type: string): Color {
  if (type.startsWith('error.')) return 'red';
  if (type === 'resource.alert') return 'yellow';
  if (type.startsWith('component.')) return 'green';
  if (type.startsWith('ws.') || type.startsWith('config.')) return 'blue';
  return 'cyan';
}

/** One human line per event: time, type, source, summary (one line, cut to fit). */
export function formatEventLine(e: CorralEvent, color: boolean, width = 200): string {
  const summary = truncate(summarizeEvent(e).replace(/\s+/g, ' ').trim(), Math.max(20, width - 60));
  const source = e.source_app && e.source_app !== e.source ? `${e.source}/${e.source_app}` : e.source;
  return `${paint(formatEventTime(e.timestamp), 'gray', color)} ${paint(e.event_type.padEnd(20), typeColor(e.event_type), color)} ${paint(source, 'magenta', color)}${summary ? ` ${summary}` : ''}`;
}

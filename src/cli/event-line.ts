import type { CorralEvent } from '../schema/events.js';
import { paint, truncate, type Color } from './format.js';
import { summarizeConfigChanged } from '../util/display.js';
import { summarizeStopped } from '../monitor/stop-summary.js';

export { summarizeConfigChanged };

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

/** A one-line description of what the event is about, from the fields each kind of event has. */
export function summarizeEvent(e: CorralEvent): string {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  if (e.summary) return e.summary;
  if (e.event_type.startsWith('error.')) return [str(p.component), str(p.error_message)].filter(Boolean).join(': ');
  if (e.event_type === 'component.stopped') return summarizeStopped(p);
  if (e.event_type === 'component.health') {
    const was = str(p.previous) ? ` (was ${str(p.previous)})` : '';
    return `${[str(p.component), str(p.status)].filter(Boolean).join(' ')}${was}${str(p.detail) ? `: ${str(p.detail)}` : ''}`;
  }
  if (e.event_type === 'component.leftovers_ended' && Array.isArray(p.components)) return `ended what the previous daemon left: ${p.components.join(', ')}`;
  if (e.event_type.startsWith('component.')) {
    const detail = str(p.reason) ?? str(p.status) ?? (p.pid !== undefined && p.pid !== null ? `pid ${String(p.pid)}` : undefined);
    const generation = typeof p.generation === 'number' && p.generation > 1 ? ` (run ${p.generation})` : '';
    return [str(p.component), detail].filter(Boolean).join(' ') + generation;
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
  const source = (e.source_app && e.source_app !== e.source ? `${e.source}/${e.source_app}` : e.source) + (e.host ? `@${e.host}` : '');
  // The summary gets what the time, type and source leave of the width (at least 20).
  const used = formatEventTime(e.timestamp).length + 1 + Math.max(20, e.event_type.length) + 1 + source.length + 1;
  const summary = truncate(summarizeEvent(e).replace(/\s+/g, ' ').trim(), Math.max(20, width - used));
  return `${paint(formatEventTime(e.timestamp), 'gray', color)} ${paint(e.event_type.padEnd(20), typeColor(e.event_type), color)} ${paint(source, 'magenta', color)}${summary ? ` ${summary}` : ''}`;
}

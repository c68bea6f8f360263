import type { CorralEvent } from '../schema/events.js';
import { paint, truncate, type Color } from './format.js';
import { summarizeConfigChanged, summarizeEvent } from '../schema/event-summary.js';

export { summarizeConfigChanged, summarizeEvent };

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

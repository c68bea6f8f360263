import { formatCpu, formatMemory } from '../util/display.js';
import type { CorralEvent } from '../schema/events.js';
import { summarizeEvent } from '../schema/event-summary.js';
import { describeFilter } from './filter-command.js';
import { visibleEvents, type ComponentRow, type MonitorState } from './model.js';

type Color = 'red' | 'green' | 'yellow' | 'cyan' | 'gray' | 'magenta' | 'bold' | 'inverse';
const SGR: Record<Color, string> = { red: '31', green: '32', yellow: '33', cyan: '36', gray: '90', magenta: '35', bold: '1', inverse: '7' };

function paint(text: string, color: Color | null, on: boolean): string {
  return on && color ? `\x1b[${SGR[color]}m${text}\x1b[0m` : text;
}

/**
 * Cuts or pads plain text to exactly `width` characters. A cut falls between
 * words, with ` …` (`restarts 1…` of `restarts 10` read as 1), unless that would lose
 * more than a third of the room (one long word, a path): then at the width.
 */
function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (flat.length <= width) return flat.padEnd(width);
  if (width < 3) return '…'.padEnd(width);
  // Room for the words and ` …`; a space right after it means the room ends on a whole word.
  const room = width - 2;
  const end = flat[room] === ' ' ? room : flat.lastIndexOf(' ', room);
  if (end <= (room * 2) / 3) return `${flat.slice(0, width - 1)}…`;
  return `${flat.slice(0, end).replace(/[\s·,:;(]+$/, '')} …`.padEnd(width);
}

/** A rule line of `─` with a label, exactly `width` wide, never cut inside the label's text but dropped whole. */
function rule(label: string, width: number): string {
  const text = label.length + 2 <= width ? `──${label}` : '';
  return (text + '─'.repeat(Math.max(0, width - text.length))).slice(0, width);
}

function stateColor(state: string): Color {
  if (state === 'running' || state === 'healthy') return 'green';
  if (state === 'failed' || state === 'unhealthy') return 'red';
  if (state === 'starting' || state === 'pending' || state === 'backoff' || state === 'stopping') return 'yellow';
  return 'gray';
}

function healthColor(health: string | null): Color | null {
  if (health === 'healthy') return 'green';
  if (health === 'unhealthy' || health === 'failed') return 'red';
  return health ? 'yellow' : null;
}

const COLUMNS = [
  { title: 'NAME', width: 20 },
  { title: 'STATE', width: 10 },
  { title: 'RESTARTS', width: 8 },
  { title: 'CPU', width: 7 },
  { title: 'MEM', width: 9 },
  { title: 'HEALTH', width: 10 },
] as const;

function cells(r: ComponentRow): [string, Color | null][] {
  return [
    [r.name, 'bold'],
    [r.state, stateColor(r.state)],
    [String(r.restarts), r.restarts > 0 ? 'yellow' : null],
    [formatCpu(r.cpu_percent), r.alert === 'critical' ? 'red' : r.alert === 'warning' ? 'yellow' : null],
    [formatMemory(r.memory_mb), r.alert === 'critical' ? 'red' : r.alert === 'warning' ? 'yellow' : null],
    [r.health ?? '-', healthColor(r.health)],
  ];
}

/** The component table: a header line and one line per component, each at most `width` wide. */
export function renderTable(components: Iterable<ComponentRow>, width: number, color: boolean): string[] {
  const line = (values: [string, Color | null][]) => {
    let used = 0;
    const parts: string[] = [];
    values.forEach(([text, c], i) => {
      const last = i === values.length - 1;
      const w = Math.min(last ? Math.max(width - used, 0) : COLUMNS[i]!.width, Math.max(width - used, 0));
      const cell = last ? fit(text, w).trimEnd() : fit(text, w);
      parts.push(paint(cell, c, color));
      used += w + 2;
    });
    return parts.join('  ').trimEnd();
  };
  // In the order the daemon lists them (the config's), as `corral ps` shows them.
  const rows = [...components];
  const header = line(COLUMNS.map((c) => [c.title, 'gray'] as [string, Color | null]));
  if (rows.length === 0) return [header, paint('(no components)', 'gray', color)];
  return [header, ...rows.map((r) => line(cells(r)))];
}

function clock(ts: number): string {
  const d = new Date(ts);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function typeColor(type: string): Color {
  if (type.startsWith('error.') || type === 'resource.alert') return 'red';
  if (type.startsWith('component.')) return 'cyan';
  if (type.startsWith('tmux.') || type.startsWith('flow.') || type.startsWith('router.')) return 'magenta';
  return 'yellow';
}

/**
 * A session id in 10 columns. Ids share prefixes (`corral_…`, `ticker-…`) as
 * often as they differ in them, so a long one keeps both its ends.
 */
export function shortSession(id: string): string {
  return id.length <= 10 ? id : `${id.slice(0, 4)}…${id.slice(-5)}`;
}

/**
 * One event as one line: time, type, source, session, summary; at most
 * `width` wide. Where it is narrow the session goes first (under 120
 * columns), then the source (under 100), so the summary (exit code, restarts,
 * next restart, cause) keeps its room.
 */
export function formatEventLine(e: CorralEvent, width: number, color: boolean): string {
  const time = fit(clock(e.timestamp), 12);
  const type = fit(e.event_type, 22);
  const line = [paint(time, 'gray', color), paint(type, typeColor(e.event_type), color)];
  let fixed = 12 + 2 + 22 + 2;
  if (width >= 100) {
    line.push(fit(e.host ? `${e.source}@${e.host}` : e.source, 14));
    fixed += 16;
  }
  if (width >= 120) {
    line.push(paint(fit(shortSession(e.session_id), 10), 'gray', color));
    fixed += 12;
  }
  const rest = width - fixed;
  const text = line.join('  ');
  if (rest <= 0) return fit(`${clock(e.timestamp)} ${e.event_type}`, width).trimEnd();
  return `${text}  ${fit(summarizeEvent(e), rest).trimEnd()}`.trimEnd();
}

/** The whole screen as lines, exactly `rows` of them (the last is the prompt). */
export function renderScreen(state: MonitorState, cols: number, rows: number, color: boolean): string[] {
  const title = ` corral monitor  ${state.url}  ${state.connected ? 'live' : 'disconnected'}  filter: ${describeFilter(state.filter)} `;
  const out: string[] = [paint(fit(title, cols), 'inverse', color)];
  const table = renderTable(state.components.values(), cols, color);
  // The table takes at most half the screen; the event stream gets the rest.
  const tableRoom = Math.max(2, Math.floor((rows - 4) / 2));
  const shown = table.length > tableRoom ? [...table.slice(0, tableRoom - 1), paint(`… ${table.length - tableRoom} more`, 'gray', color)] : table;
  out.push(...shown);
  const events = visibleEvents(state);
  const eventRoom = Math.max(0, rows - out.length - 3);
  const maxScroll = Math.max(0, events.length - eventRoom);
  const scroll = Math.min(state.scroll, maxScroll);
  const end = events.length - scroll;
  const slice = events.slice(Math.max(0, end - eventRoom), end);
  const label = ` events (${events.length}${scroll ? `, scrolled ${scroll} up` : ''}) `;
  out.push(paint(rule(label, cols), 'gray', color));
  for (let i = slice.length; i < eventRoom; i++) out.push('');
  for (const e of slice) out.push(formatEventLine(e, cols, color));
  out.push(paint(fit(state.status, cols).trimEnd(), state.status.startsWith('error') ? 'red' : 'gray', color));
  out.push(fit(`> ${state.input}`, cols).trimEnd());
  return out.slice(0, rows);
}

/** The non-interactive view: the table, then the last events, as plain text. */
export function renderOnce(state: MonitorState, cols: number, color: boolean, lastEvents: number): string {
  const events = visibleEvents(state).slice(-lastEvents);
  const lines = [
    ...renderTable(state.components.values(), cols, color),
    '',
    `events (${describeFilter(state.filter)}, last ${events.length}):`,
    ...events.map((e) => formatEventLine(e, cols, color)),
  ];
  return lines.join('\n') + '\n';
}

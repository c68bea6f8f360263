import { basename, dirname, isAbsolute, relative } from 'node:path';
import type { ConfigIssue } from '../config/issues.js';
import type { ComponentInfo, ComponentState } from '../supervisor/types.js';
import { formatCpu, formatMemory } from '../util/display.js';

export { formatCpu, formatMemory };

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

/** Wraps text in an ANSI colour when `on`. */
export function paint(text: string, color: Color, on: boolean): string {
  return on ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

/** `1 component`, `2 components`: a count with its noun in the right number. */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** 1h2m, 3m4s, 12s. */
export function formatDuration(ms: number | null): string {
  if (ms === null || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function stateColor(state: ComponentState): Color {
  switch (state) {
    case 'healthy':
    case 'running':
      return 'green';
    case 'starting':
    case 'pending':
    case 'backoff':
    case 'stopping':
      return 'yellow';
    case 'unhealthy':
    case 'failed':
      return 'red';
    default:
      return 'gray';
  }
}

/** Renders rows as aligned columns; colour codes do not count towards width. */
export function renderTable(header: string[], rows: string[][]): string {
  const visible = visibleLength;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Columns `renderComponents` drops, in this order, when the table is wider than the terminal: the REASON is kept. */
const DROPPABLE = ['PLUGIN', 'UPTIME', 'CPU', 'PID', 'HEALTH'];
/** The room a REASON column gets before columns are dropped for it (less when no reason is that long). */
const REASON_ROOM = 24;

/**
 * The `corral ps` table. With a `width` (a terminal's), columns are dropped
 * (PLUGIN, then UPTIME, CPU, PID, HEALTH) until the REASON column, when there
 * is one, has room, so a narrow terminal cuts the least useful columns rather
 * than the reason a component failed.
 */
export function renderComponents(components: ComponentInfo[], color: boolean, width?: number): string {
  if (components.length === 0) return 'no components\n';
  const explained = new Set<ComponentState>(['failed', 'pending', 'unhealthy', 'backoff', 'exited']);
  const reasonOf = (c: ComponentInfo) => (c.reason && explained.has(c.state) ? c.reason : '');
  const withReason = components.some((c) => reasonOf(c) !== '');
  const columns: Array<[string, (c: ComponentInfo) => string]> = [
    ['NAME', (c) => c.name],
    ['PLUGIN', (c) => pluginLabel(c.plugin)],
    ['STATE', (c) => paint(c.state, stateColor(c.state), color)],
    ['PID', (c) => (c.pid === null ? '-' : String(c.pid))],
    ['UPTIME', (c) => formatDuration(c.uptime_ms)],
    ['RESTARTS', (c) => String(c.restarts)],
    ['CPU', (c) => formatCpu(c.cpu_percent)],
    ['MEM', (c) => formatMemory(c.memory_mb)],
    ['HEALTH', (c) => c.health ?? '-'],
    ...(withReason ? [['REASON', (c: ComponentInfo) => paint(reasonOf(c), 'gray', color)] as [string, (c: ComponentInfo) => string]] : []),
  ];
  let shown = columns;
  if (width !== undefined && withReason) {
    const need = Math.min(REASON_ROOM, Math.max(...components.map((c) => reasonOf(c).length)));
    for (const drop of DROPPABLE) {
      if (tableWidth(shown, components) + need <= width) break;
      shown = shown.filter(([title]) => title !== drop);
    }
  }
  return renderTable(
    shown.map(([title]) => title),
    components.map((c) => shown.map(([, cell]) => cell(c))),
  );
}

/** The width of every column but the last (REASON), with the gaps, as `renderTable` lays them out. */
function tableWidth(columns: Array<[string, (c: ComponentInfo) => string]>, components: ComponentInfo[]): number {
  return columns.slice(0, -1).reduce((sum, [title, cell]) => sum + Math.max(title.length, ...components.map((c) => visibleLength(cell(c)))) + 2, 0);
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/**
 * The PLUGIN column: a plugin given by path is shown by its name (the file's,
 * or its directory's when the file is an index): `../plugins/http-echo` → `http-echo`.
 */
export function pluginLabel(ref: string): string {
  if (!ref.includes('/') && !/\.(m?js|ts)$/.test(ref)) return ref;
  const trimmed = ref.replace(/\/+$/, '');
  const file = basename(trimmed).replace(/\.(m?js|ts)$/, '');
  return file === 'index' ? basename(dirname(trimmed)) : file;
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** `FILE:LINE:COL path: message` (`FILE: message` for the file as a whole), the form editors and terminals turn into links. */
export function formatIssue(file: string, issue: ConfigIssue, color = false): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  const path = issue.path ? ` ${paint(issue.path, 'bold', color)}: ` : ': ';
  return `${paint(where, 'gray', color)}${path}${issue.message}`;
}

/** A file's path relative to the current directory when it is below it, else absolute. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

import { followLogs, listLogNames, readLogTail, terminalText, type LogLine } from '../logs/index.js';

/** The daemon's own log in the same directory; shown only when asked for by name. */
export const DAEMON_LOG = 'corral';

// Bright, readable colours, assigned by name so a component keeps its colour between runs.
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface LogViewOptions {
  dir: string;
  /** Components to show; empty = every component with a log (the daemon's own excluded). */
  names: string[];
  lines: number;
  follow: boolean;
  timestamps: boolean;
  color: boolean;
  write(text: string): void;
  /** Ends following. */
  signal: AbortSignal;
}

/** Prints the last lines (interleaved by time across components), then follows when asked. */
export async function showLogs(opts: LogViewOptions): Promise<void> {
  const all = opts.names.length === 0;
  const names = all ? listLogNames(opts.dir).filter((n) => n !== DAEMON_LOG) : opts.names;
  const width = { value: Math.max(0, ...names.map((n) => n.length)) };
  const render = (name: string, line: LogLine) => {
    if (name.length > width.value) width.value = name.length;
    opts.write(formatLine(name, line, width.value, opts));
  };

  for (const { name, line } of mergeTails(opts.dir, names, opts.lines)) render(name, line);
  if (!opts.follow || opts.signal.aborted) return;

  await new Promise<void>((resolve) => {
    const follower = followLogs({
      dir: opts.dir,
      names: all ? undefined : names,
      onLine: (name, line) => {
        if (all && name === DAEMON_LOG) return;
        render(name, line);
      },
    });
    opts.signal.addEventListener(
      'abort',
      () => {
        follower.close();
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * The last `n` lines over all the named logs, oldest first. Lines are ordered
 * by their timestamps; a line without one keeps its place after the line before it.
 */
export function mergeTails(dir: string, names: string[], n: number): Array<{ name: string; line: LogLine }> {
  const merged: Array<{ name: string; line: LogLine; key: string; order: number }> = [];
  let order = 0;
  for (const name of names) {
    let last = '';
    for (const line of readLogTail(dir, name, n)) {
      if (line.time) last = line.time;
      merged.push({ name, line, key: line.time || last, order: order++ });
    }
  }
  // ISO timestamps of one format sort as strings; `order` keeps the sort stable within a file.
  merged.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.order - b.order));
  return merged.slice(Math.max(0, merged.length - n)).map(({ name, line }) => ({ name, line }));
}

/** `name | text`, the name padded and coloured, stderr's bar in red; `-t` adds the time. */
export function formatLine(name: string, line: LogLine, width: number, opts: { color: boolean; timestamps: boolean }): string {
  const label = name.padEnd(width);
  const bar = line.stream === 'err' ? paint('|', 31, opts.color) : '|';
  const time = opts.timestamps && line.time ? `${paint(line.time, 90, opts.color)} ` : '';
  return `${paint(label, colorFor(name), opts.color)} ${bar} ${time}${terminalText(line.text, opts.color)}\n`;
}

function colorFor(name: string): number {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

function paint(text: string, code: number, on: boolean): string {
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}

import { followLogs, listLogNames, readLogTail, type LogLine } from '../logs/index.js';

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

// Escape sequences a program writes to a terminal (a pty component's output is full of them).
// Matching control characters is the point of these patterns.
/* eslint-disable no-control-regex */
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g; // window titles, hyperlinks
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g; // cursor movement, erasing, colours (final byte m)
const OTHER_ESC = /\x1b[()][0-9A-Za-z]|\x1b[@-Z\\-_=>78]/g; // charset selection, keypad modes, save/restore
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g; // what is left: BEL, backspace, lone ESC... (tab kept)
const HAS_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/; // ESC included: plain text is returned as it is
/* eslint-enable no-control-regex */

/**
 * One logged line as a terminal would leave it, in plain text: titles, cursor
 * movement and erasing removed; after a carriage return only what was
 * written over the line (a progress bar's last state; a pty ends every line
 * with \r); colours kept only when this output is coloured.
 */
export function terminalText(text: string, keepColor: boolean): string {
  let s = text.endsWith('\r') ? text.slice(0, -1) : text;
  const cr = s.lastIndexOf('\r');
  if (cr !== -1) s = s.slice(cr + 1);
  if (!HAS_CONTROL.test(s)) return s;
  return s
    .replace(OSC, '')
    .replace(CSI, (seq) => (keepColor && seq.endsWith('m') ? seq : ''))
    .replace(OTHER_ESC, '')
    .replace(CONTROL, (c) => (keepColor && c === '\x1b' ? c : ''));
}

function colorFor(name: string): number {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

function paint(text: string, code: number, on: boolean): string {
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}

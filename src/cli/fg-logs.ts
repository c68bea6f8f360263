import { followLogs, type LogLine } from '../logs/index.js';
import { DAEMON_LOG, formatLine } from './log-view.js';

/**
 * The components' output for a foreground `corral up`: every component's log
 * in the state directory followed from its current end (files that appear
 * later from their start), each line handed over as `NAME | text`, the name
 * padded to the longest one and coloured by name (log-view.ts), so a
 * component keeps its colour between runs. The daemon's own log is left out.
 */
export function followComponentOutput(opts: { dir: string; names: () => string[]; color: boolean; onLine(text: string): void }): { close(): void } {
  let width = Math.max(0, ...opts.names().map((n) => n.length));
  const follower = followLogs({
    dir: opts.dir,
    pollMs: 250,
    onLine: (name: string, line: LogLine) => {
      if (name === DAEMON_LOG) return;
      if (name.length > width) width = Math.max(name.length, ...opts.names().map((n) => n.length));
      opts.onLine(formatLine(name, line, width, { color: opts.color, timestamps: false }).replace(/\n$/, ''));
    },
  });
  return follower;
}

// eslint-disable-next-line no-control-regex
const SGR_OR_CHAR = /\x1b\[[0-9;]*m|[\s\S]/gu;

/** Cuts a line (colour codes kept, not counted) to `width` visible characters, with `…` where it was cut. */
export function fitLine(line: string, width: number): string {
  if (width <= 0) return '';
  let visible = 0;
  let out = '';
  let colored = false;
  const parts = line.match(SGR_OR_CHAR) ?? [];
  const total = parts.filter((p) => !p.startsWith('\x1b[')).length;
  if (total <= width) return line;
  for (const part of parts) {
    if (part.startsWith('\x1b[')) {
      out += part;
      colored = true;
      continue;
    }
    if (visible === width - 1) {
      out += '…';
      break;
    }
    out += part;
    visible++;
  }
  return colored ? `${out}\x1b[0m` : out;
}

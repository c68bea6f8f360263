import type { LogLine, LogStream } from './types.js';

const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (out|err) ([\s\S]*)$/;

/** One stored line: `ISO_TIMESTAMP out|err TEXT`. */
export function formatLogLine(time: Date, stream: LogStream, text: string): string {
  return `${time.toISOString()} ${stream} ${text}\n`;
}

/** Parses a stored line; a line without the prefix is kept whole as `out` with no time. */
export function parseLogLine(raw: string): LogLine {
  const m = LINE.exec(raw);
  if (!m) return { time: '', stream: 'out', text: raw };
  return { time: m[1]!, stream: m[2] as LogStream, text: m[3]! };
}

/** `<dir>/<name>.log`, and `.1`, `.2`... for rotated files. */
export function logFileName(name: string, index = 0): string {
  return index === 0 ? `${name}.log` : `${name}.log.${index}`;
}

// Every tool answer goes into a model's context window: each one is bounded
// here, in lines and in characters, and says what it left out.
import { terminalText } from '../logs/terminal-text.js';
import type { LogLine } from '../logs/types.js';
import type { CorralEvent } from '../schema/events.js';

/** Lines of a log shown verbatim at most; a longer tail is summarised above them. */
export const MAX_LOG_LINES_SHOWN = 200;
/** Lines read from a log at most (the summary counts over these). */
export const MAX_LOG_LINES_READ = 20_000;
/** One log line or one event payload is cut to this many characters. */
export const MAX_LINE_CHARS = 500;
export const MAX_PAYLOAD_CHARS = 1_000;
/** Events returned by one query at most. */
export const MAX_EVENTS = 200;
/** Distinct notable lines (errors, warnings) kept in a log summary. */
const MAX_NOTABLE = 20;

const NOTABLE = /\b(?:error|err!|exception|fatal|panic|traceback|failed|failure|denied|refused|killed|warn(?:ing)?)\b/i;

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}

/** A log line as plain text (pty colours, cursor moves and progress-bar rewrites removed), cut to size. */
export function cleanLine(line: LogLine): { time: string; stream: string; text: string } {
  return { time: line.time, stream: line.stream, text: cut(terminalText(line.text, false), MAX_LINE_CHARS) };
}

export interface LogSummary {
  /** Lines before the shown ones that were read but not shown. */
  omitted_lines: number;
  /** Time of the first and last omitted line. */
  omitted_from: string | null;
  omitted_to: string | null;
  /** The omitted lines that look like errors or warnings, most frequent first, with how often each occurred. */
  notable: Array<{ text: string; count: number; last_time: string }>;
  /** Omitted lines written to stderr. */
  stderr_lines: number;
}

/**
 * The last `shown` lines verbatim, and for the lines before them (a model asked
 * for a long tail) a summary: how many, when, and the distinct lines that look
 * like errors or warnings, with their counts.
 */
export function summariseLog(lines: LogLine[], shown: number): { lines: ReturnType<typeof cleanLine>[]; summary: LogSummary | null } {
  const keep = Math.min(shown, MAX_LOG_LINES_SHOWN);
  const tail = lines.slice(-keep).map(cleanLine);
  const head = lines.slice(0, Math.max(0, lines.length - keep));
  if (head.length === 0) return { lines: tail, summary: null };
  const notable = new Map<string, { text: string; count: number; last_time: string }>();
  let stderr = 0;
  for (const line of head) {
    if (line.stream === 'err') stderr++;
    const text = terminalText(line.text, false).trim();
    if (!NOTABLE.test(text)) continue;
    // Lines that differ only in numbers (ids, times, counters) are one kind of line.
    const key = text.replace(/\d+/g, '#').slice(0, 200);
    const seen = notable.get(key);
    if (seen) {
      seen.count++;
      seen.last_time = line.time;
    } else notable.set(key, { text: cut(text, MAX_LINE_CHARS), count: 1, last_time: line.time });
  }
  return {
    lines: tail,
    summary: {
      omitted_lines: head.length,
      omitted_from: head[0]!.time || null,
      omitted_to: head[head.length - 1]!.time || null,
      notable: [...notable.values()].sort((a, b) => b.count - a.count).slice(0, MAX_NOTABLE),
      stderr_lines: stderr,
    },
  };
}

/** One event as a tool shows it: the envelope, and the payload as JSON cut to size (already masked by the daemon). */
export interface CompactEvent {
  id: string;
  time: string;
  event_type: string;
  source: string;
  session_id: string;
  host?: string;
  payload: unknown;
}

export function compactEvent(e: CorralEvent): CompactEvent {
  const json = JSON.stringify(e.payload ?? null);
  const payload: unknown = json.length <= MAX_PAYLOAD_CHARS ? e.payload : { truncated: cut(json, MAX_PAYLOAD_CHARS) };
  const host = (e as { host?: unknown }).host;
  return {
    id: e.id,
    time: new Date(e.timestamp).toISOString(),
    event_type: e.event_type,
    source: e.source,
    session_id: e.session_id,
    ...(typeof host === 'string' ? { host } : {}),
    payload,
  };
}

/** One line of text for an event, for the text part of a tool answer. */
export function eventLine(e: CompactEvent): string {
  return `${e.time} ${e.event_type} [${e.source}${e.host ? `@${e.host}` : ''}${e.session_id ? ` ${e.session_id}` : ''}] ${cut(JSON.stringify(e.payload), 300)}`;
}

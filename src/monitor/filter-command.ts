import type { EventFilter } from '../schema/messages.js';

/** What a line typed at the monitor's prompt asks for. */
export type PromptCommand =
  | { kind: 'filter'; filter: EventFilter }
  | { kind: 'quit' }
  | { kind: 'help' }
  | { kind: 'none' }
  | { kind: 'error'; message: string };

const KEYS: Record<string, keyof EventFilter> = {
  type: 'event_type',
  t: 'event_type',
  source: 'source',
  s: 'source',
  session: 'session_id',
  host: 'host',
};

/** The prompt's hint: under 80 columns, so an 80-column terminal shows it whole. */
export const PROMPT_HELP = 'type PAT,.. | source S | session ID | host H | a key alone clears | clear | q';

/**
 * Parses one prompt line against the current filter: `type component.*`,
 * `source X`, `session Y`, `host H` set one key (a key alone clears it), `clear`
 * removes every filter, `q` quits.
 */
export function parsePromptLine(line: string, current: EventFilter): PromptCommand {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: 'none' };
  const [head, ...rest] = words as [string, ...string[]];
  const word = head.toLowerCase();
  if (word === 'q' || word === 'quit' || word === 'exit') return { kind: 'quit' };
  if (word === 'help' || word === '?') return { kind: 'help' };
  if (word === 'clear') return { kind: 'filter', filter: {} };
  const key = KEYS[word];
  if (!key) return { kind: 'error', message: `unknown command "${head}" — ${PROMPT_HELP}` };
  const next: EventFilter = { ...current };
  if (rest.length === 0) delete next[key];
  else (next as Record<string, unknown>)[key] = key === 'event_type' ? rest.join('').replace(/,+$/, '') : rest.join(' ');
  return { kind: 'filter', filter: next };
}

/** The filter as one short line: `type=component.* source=x`, or `all events`. */
export function describeFilter(filter: EventFilter): string {
  const parts: string[] = [];
  if (filter.event_type) parts.push(`type=${filter.event_type}`);
  if (filter.source) parts.push(`source=${filter.source}`);
  if (filter.session_id) parts.push(`session=${filter.session_id}`);
  if (filter.host) parts.push(`host=${filter.host}`);
  return parts.length ? parts.join(' ') : 'all events';
}

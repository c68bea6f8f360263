import type { CorralEvent } from '../schema/events.js';
import type { EventFilter } from '../schema/messages.js';

/** One term of an `event_type` filter: an exact name, or a prefix when it ended in `*`. */
export interface TypeTerm {
  value: string;
  prefix: boolean;
}

/** The values of a list filter (`a, b,c`: event_type, source, session_id), trimmed; empty ones are ignored. */
export function parseList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Most values one list filter (`event_type`, `source`, `session_id`) may hold. */
export const MAX_FILTER_VALUES = 1000;
/** Most bytes one filter field may hold. */
export const MAX_FILTER_BYTES = 64 * 1024;

/**
 * Why a filter is too big to accept (null when it is fine): each of
 * `event_type`, `source`, `session_id` at most MAX_FILTER_VALUES values and
 * MAX_FILTER_BYTES bytes. Checked where a filter comes in (query string,
 * `subscribe`), so no later step (SQL, matching) meets an unbounded one.
 */
export function filterTooBig(filter: Partial<Record<'event_type' | 'source' | 'session_id' | 'host', unknown>>): { key: string; message: string } | null {
  for (const key of ['event_type', 'source', 'session_id', 'host'] as const) {
    const value = filter[key];
    if (typeof value !== 'string') continue;
    const bytes = Buffer.byteLength(value);
    if (bytes > MAX_FILTER_BYTES) return { key, message: `${bytes} bytes; a filter field may hold at most ${MAX_FILTER_BYTES} bytes` };
    const count = parseList(value).length;
    if (count > MAX_FILTER_VALUES) return { key, message: `${count} values; a filter field may list at most ${MAX_FILTER_VALUES}` };
  }
  return null;
}

/** Splits an `event_type` filter (`a,b.*, c`) into its terms; empty terms are ignored. */
export function parseTypeTerms(eventType: string | undefined): TypeTerm[] {
  const terms: TypeTerm[] = [];
  for (const t of parseList(eventType)) {
    if (t.endsWith('*')) terms.push({ value: t.slice(0, -1), prefix: true });
    else terms.push({ value: t, prefix: false });
  }
  return terms;
}

function compileType(eventType: string | undefined): ((type: string) => boolean) | null {
  const terms = parseTypeTerms(eventType);
  if (terms.length === 0) return null;
  // A lone `*` matches everything: no test at all.
  if (terms.some((t) => t.prefix && t.value === '')) return null;
  const exact = new Set(terms.filter((t) => !t.prefix).map((t) => t.value));
  const prefixes = terms.filter((t) => t.prefix).map((t) => t.value);
  if (prefixes.length === 0) return (type) => exact.has(type);
  return (type) => {
    if (exact.has(type)) return true;
    for (const p of prefixes) if (type.startsWith(p)) return true;
    return false;
  };
}

/**
 * Compiles a filter into a predicate, once, so that the hot path (every
 * publish, every subscriber) only runs the tests the filter actually sets.
 * `after` is not tested here: it is a store cursor, checked by whoever has the seq.
 */
export function compileFilter(filter: EventFilter): (e: CorralEvent) => boolean {
  const tests: ((e: CorralEvent) => boolean)[] = [];
  const type = compileType(filter.event_type);
  if (type) tests.push((e) => type(e.event_type));
  for (const key of ['source', 'session_id', 'host'] as const) {
    const values = parseList(filter[key]);
    if (values.length === 1) tests.push((e) => e[key] === values[0]);
    else if (values.length > 1) {
      const set = new Set(values);
      tests.push((e) => set.has(e[key] as string));
    }
  }
  if (filter.since !== undefined) {
    const since = filter.since;
    tests.push((e) => e.timestamp >= since);
  }
  if (filter.until !== undefined) {
    const until = filter.until;
    tests.push((e) => e.timestamp <= until);
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (e) => {
    for (const t of tests) if (!t(e)) return false;
    return true;
  };
}

import type { EventFilter } from '../schema/messages.js';
import { parseList, parseTypeTerms } from './filter.js';

/**
 * The schema of the event store. `seq` is the bus's cursor; the JSON text is
 * what was broadcast. `seq` is the rowid, which every index already ends with,
 * so `WHERE event_type = ? ORDER BY seq` walks one index without sorting.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  timestamp REAL NOT NULL,
  event_type TEXT NOT NULL,
  source TEXT NOT NULL,
  session_id TEXT NOT NULL,
  source_app TEXT,
  hook_event_type TEXT,
  json TEXT NOT NULL,
  host TEXT
);
CREATE INDEX IF NOT EXISTS events_event_type ON events(event_type);
CREATE INDEX IF NOT EXISTS events_source ON events(source);
CREATE INDEX IF NOT EXISTS events_session_id ON events(session_id);
CREATE INDEX IF NOT EXISTS events_timestamp ON events(timestamp);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * The `host` column (federation: the host an event came from), added to a
 * store written before it; its rows keep a null host.
 */
export function ensureHostColumn(db: { prepare(sql: string): { all(): unknown[] }; exec(sql: string): unknown }): void {
  const columns = db.prepare('PRAGMA table_info(events)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'host')) db.exec('ALTER TABLE events ADD COLUMN host TEXT');
  db.exec('CREATE INDEX IF NOT EXISTS events_host ON events(host)');
}

/**
 * One event per id: a hook both stored and replayed from the spool (its POST
 * outlived `corral hook`'s budget) carries one id, and the insert ignores the
 * second. A store written before the index may hold a repeated id (a client
 * may choose its ids): the later copies go, so that the index can be made.
 */
export function ensureUniqueIds(db: { exec(sql: string): unknown }): void {
  try {
    db.exec('CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events(id)');
  } catch {
    db.exec('DELETE FROM events WHERE seq NOT IN (SELECT MIN(seq) FROM events GROUP BY id)');
    db.exec('CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events(id)');
  }
}

/** A WHERE clause and its parameters. */
export interface WhereClause {
  sql: string;
  params: unknown[];
}

/** The smallest string greater than every string starting with `prefix` (for an index range scan). */
function prefixUpperBound(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** Up to this many prefixes are index range scans joined by OR; more are one json_each lookup (see filterToWhere). */
const MAX_RANGE_PREFIXES = 8;

/** `column` is one of `values`: `= ?` for one, else one parameter holding a JSON array, so any number of values is one SQL variable. */
function inList(column: string, values: string[], parts: string[], params: unknown[]): void {
  if (values.length === 1) {
    parts.push(`${column} = ?`);
    params.push(values[0]);
  } else {
    parts.push(`${column} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(values));
  }
}

/**
 * Translates a filter into SQL whose size does not grow with the filter: a
 * list is one `IN (SELECT value FROM json_each(?))` (a chain of 1,000 ORs
 * went past SQLite's expression depth and 32,766 variables, and threw). A
 * few prefixes are index range scans rather than LIKE, which would need
 * escaping and, with SQLite's case-insensitive LIKE, skip the index; many are
 * one EXISTS over a JSON array of [low, high) bounds.
 */
export function filterToWhere(filter: EventFilter, seqBound?: { op: '>' | '<'; seq: number }): WhereClause {
  const parts: string[] = [];
  const params: unknown[] = [];
  const terms = parseTypeTerms(filter.event_type);
  if (terms.length > 0 && !terms.some((t) => t.prefix && t.value === '')) {
    const ors: string[] = [];
    const exact = terms.filter((t) => !t.prefix).map((t) => t.value);
    const prefixes = terms.filter((t) => t.prefix).map((t) => t.value);
    if (exact.length > 0) inList('event_type', exact, ors, params);
    if (prefixes.length > MAX_RANGE_PREFIXES) {
      ors.push("EXISTS (SELECT 1 FROM json_each(?) AS p WHERE event_type >= json_extract(p.value, '$[0]') AND event_type < json_extract(p.value, '$[1]'))");
      params.push(JSON.stringify(prefixes.map((p) => [p, prefixUpperBound(p)])));
    } else {
      for (const p of prefixes) {
        ors.push('(event_type >= ? AND event_type < ?)');
        params.push(p, prefixUpperBound(p));
      }
    }
    parts.push(ors.length === 1 ? ors[0]! : `(${ors.join(' OR ')})`);
  }
  for (const column of ['source', 'session_id', 'host'] as const) {
    const values = parseList(filter[column]);
    if (values.length > 0) inList(column, values, parts, params);
  }
  if (filter.since !== undefined) {
    parts.push('timestamp >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    parts.push('timestamp <= ?');
    params.push(filter.until);
  }
  if (filter.after !== undefined) {
    parts.push('seq > ?');
    params.push(filter.after);
  }
  if (seqBound) {
    parts.push(`seq ${seqBound.op} ?`);
    params.push(seqBound.seq);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

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
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_event_type ON events(event_type);
CREATE INDEX IF NOT EXISTS events_source ON events(source);
CREATE INDEX IF NOT EXISTS events_session_id ON events(session_id);
CREATE INDEX IF NOT EXISTS events_timestamp ON events(timestamp);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

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

/**
 * Translates a filter into SQL. Prefixes become index range scans rather than
 * LIKE, which would need escaping and, with SQLite's case-insensitive LIKE, skip the index.
 */
export function filterToWhere(filter: EventFilter, seqBound?: { op: '>' | '<'; seq: number }): WhereClause {
  const parts: string[] = [];
  const params: unknown[] = [];
  const terms = parseTypeTerms(filter.event_type);
  if (terms.length > 0 && !terms.some((t) => t.prefix && t.value === '')) {
    const ors: string[] = [];
    for (const t of terms) {
      if (t.prefix) {
        ors.push('(event_type >= ? AND event_type < ?)');
        params.push(t.value, prefixUpperBound(t.value));
      } else {
        ors.push('event_type = ?');
        params.push(t.value);
      }
    }
    parts.push(`(${ors.join(' OR ')})`);
  }
  for (const column of ['source', 'session_id'] as const) {
    const values = parseList(filter[column]);
    if (values.length === 0) continue;
    parts.push(values.length === 1 ? `${column} = ?` : `${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
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

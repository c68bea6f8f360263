import type { RedactOptions } from './redact.js';
import type { CorralEvent } from '../schema/events.js';
import type { ErrorData } from '../schema/errors.js';
import type { EventFilter } from '../schema/messages.js';

/**
 * One event as it moves through the bus: the complete event, its position in
 * the store (`seq`, strictly increasing, the resume cursor) and its JSON text,
 * serialised once and reused by every subscriber and by the store.
 */
export interface BusEntry {
  readonly seq: number;
  readonly event: CorralEvent;
  readonly json: string;
}

/** Outcome of a publish: the stored entry (and a promise that settles once it is committed), or why it was refused. */
export type PublishResult =
  | { ok: true; entry: BusEntry; stored: Promise<void> }
  | { ok: false; error: ErrorData };

/** A live subscription's callback. Called synchronously inside publish; must not throw or block. */
export type BusListener = (entry: BusEntry) => void;

/** Options of one history query. */
export interface QueryOptions {
  limit?: number;
  /** Opaque cursor from a previous page (the seq to continue after/before). */
  cursor?: string;
  /** `asc` (oldest first, default) pages forward; `desc` takes the newest `limit` events (returned oldest first). */
  order?: 'asc' | 'desc';
  /**
   * Most characters of event JSON in the page (default HISTORY_PAGE_BYTES);
   * the page always holds at least one event, and stops short (with a
   * `next_cursor`) at whichever of `limit` and `maxBytes` comes first.
   */
  maxBytes?: number;
}

/** Most characters of event JSON one history page holds by default (GET /events, a replay, `initial`). */
export const HISTORY_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Collects a page: events are offered in page order; `take` returns false
 * (and the page has `more`) once `limit` events or `maxBytes` characters are
 * reached. The first event is always taken, whatever its size.
 */
export function createPageBuilder(limit: number, maxBytes: number): { events: BusEntry[]; take(e: BusEntry): boolean; readonly more: boolean } {
  const events: BusEntry[] = [];
  let bytes = 0;
  let more = false;
  return {
    events,
    take(e) {
      if (events.length >= limit || (events.length > 0 && bytes + e.json.length > maxBytes)) {
        more = true;
        return false;
      }
      events.push(e);
      bytes += e.json.length;
      return true;
    },
    get more() {
      return more;
    },
  };
}

export interface QueryPage {
  events: BusEntry[];
  /** Cursor for the next page, or null when there is none. */
  next_cursor: string | null;
}

/** The most values of each kind `GET /events/filter-options` lists. */
export const FILTER_OPTIONS_MAX = 1000;

/** The persistent event store (SQLite, WAL), written in batches off the publish path. */
export interface EventStore {
  /** Queue entries; the promise resolves when the batch holding them has committed. */
  append(entry: BusEntry): Promise<void>;
  /** History matching the filter. Includes entries queued but not yet committed. */
  query(filter: EventFilter, options?: QueryOptions): QueryPage;
  /** The highest seq ever stored (0 for an empty store). */
  lastSeq(): number;
  /** Distinct values for the dashboard's filter options (at most FILTER_OPTIONS_MAX each). */
  filterOptions(): { source_apps: string[]; session_ids: string[]; hook_event_types: string[] };
  /** Number of events queued and not yet committed. */
  pending(): number;
  /** Commit everything queued now. */
  flush(): Promise<void>;
  /** Applies retention (count and age). Returns how many events were removed. */
  prune(): number;
  /** Whether an event with this id is committed (federation: a forwarded event is stored once). */
  hasId?(id: string): boolean;
  /** How many stored or queued events match the filter (federation: the events still to forward). */
  count?(filter: EventFilter): number;
  /** A number kept in the store beside the events (federation: the forwarding cursor), or undefined. */
  getMeta?(key: string): number | undefined;
  setMeta?(key: string, value: number): void;
  /** Changes retention (config reload); applied at once. Optional for stores that keep no history. */
  setRetention?(retention: { events: number; age: number }): void;
  close(): void;
}

/** The in-process bus: the only way events move inside corral. */
export interface Bus {
  /**
   * Validates, completes (id, timestamp, version), redacts, assigns seq,
   * serialises once, delivers synchronously to every matching subscriber and
   * queues the entry for the store.
   */
  publish(input: unknown): PublishResult;
  /**
   * `publish` for an event `completeEvent` already returned (the HTTP route
   * validates a whole array before publishing any of it): not checked again.
   */
  publishValidated(event: CorralEvent): PublishResult;
  /**
   * Federation: publishes an event another host stored (its `id` and `host`
   * kept), to the local subscribers and store. Optional: only the daemon's bus has it.
   */
  publishForeign?(input: unknown): PublishResult;
  /** Federation: sets the host local events carry (undefined: none, federation off). */
  setHost?(host: string | undefined): void;
  /** The host local events carry, when federation is on. */
  host?(): string | undefined;
  /** Publishes an ecosystem error (CMP001, CMP002, RES001, CFG001) as an `error.CODE` event. */
  publishError(error: ErrorData, sessionId?: string): PublishResult;
  /** Registers a listener for events matching the filter; returns the unsubscribe function. */
  subscribe(filter: EventFilter, listener: BusListener): () => void;
  /** History from the store. */
  history(filter: EventFilter, options?: QueryOptions): QueryPage;
  /** Number of live subscribers. */
  subscriberCount(): number;
  /** The seq of the last event published (0 when none): where a subscriber that saw nothing resumes. */
  lastSeq(): number;
  /** The session id corral's own events carry (one per daemon run). */
  readonly sessionId: string;
  /** Events published but not yet written by the store (0 without one): clients' events wait while it is far behind. */
  storeBacklog?(): number;
  /** Replaces the redaction settings (config reload); throws, changing nothing, on an invalid pattern. */
  setRedact?(redact: RedactOptions | undefined): void;
}

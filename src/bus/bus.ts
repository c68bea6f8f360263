import { randomUUID } from 'node:crypto';
import { completeEvent, type CorralEvent } from '../schema/events.js';
import { makeError, type ErrorData } from '../schema/errors.js';
import type { EventFilter } from '../schema/messages.js';
import { compileFilter } from './filter.js';
import { createRedactor, type RedactOptions } from './redact.js';
import type { Bus, BusEntry, BusListener, EventStore, PublishResult, QueryOptions, QueryPage } from './types.js';
import { queryMemory } from './memory-history.js';

/** Options of the in-process bus. */
export interface BusOptions {
  /** Where events are kept; without one the bus keeps the last `memoryHistory` events in memory. */
  store?: EventStore;
  /** Redaction (config `bus.redact`). Secrets are masked by default even without it. */
  redact?: RedactOptions;
  /** The session id of corral's own events (default: a new UUID per daemon run). */
  sessionId?: string;
  /** Clock used to complete events without a timestamp. */
  now?: () => number;
  /** Told when a listener throws (the other listeners still get the event). */
  onListenerError?: (err: unknown) => void;
  /** Events kept for `history` when there is no store (default 1000). */
  memoryHistory?: number;
  /** Federation: the host every event published here carries (`host`); without it events carry none. */
  host?: string;
}

interface Subscriber {
  match: (e: BusEntry['event']) => boolean;
  after: number;
  listener: BusListener;
}

const RESOLVED = Promise.resolve();

/** Creates the bus. Seqs continue from the store's last one, so cursors stay valid across restarts. */
export function createBus(opts: BusOptions = {}): Bus {
  const now = opts.now ?? Date.now;
  let redactor = createRedactor(opts.redact);
  const sessionId = opts.sessionId ?? randomUUID();
  const store = opts.store;
  let last = store?.lastSeq() ?? 0;
  // Replaced, never mutated, so a listener that (un)subscribes during delivery is safe.
  let subscribers: readonly Subscriber[] = [];
  const memory: BusEntry[] = [];
  const memoryMax = opts.memoryHistory ?? 1000;
  let host = opts.host;

  function deliver(entry: BusEntry): void {
    for (const s of subscribers) {
      if (entry.seq <= s.after || !s.match(entry.event)) continue;
      try {
        s.listener(entry);
      } catch (err) {
        opts.onListenerError?.(err);
      }
    }
  }

  function publish(input: unknown): PublishResult {
    const checked = completeEvent(input, now());
    if (!checked.ok) {
      return {
        ok: false,
        error: makeError('WS003', 'corral', `event fails the schema: ${checked.message}`, { severity: 'warning', context: { issues: checked.issues } }),
      };
    }
    return publishValidated(checked.event);
  }

  function publishValidated(checked: CorralEvent, foreign = false): PublishResult {
    // A local event carries this daemon's host (whatever a client wrote there); a forwarded one keeps its own.
    if (host !== undefined && !foreign) checked.host = host;
    let event = checked;
    let json = JSON.stringify(event);
    const redacted = redactor.redact(event, json);
    if (redacted !== event) {
      event = redacted;
      json = JSON.stringify(event);
    }
    const entry: BusEntry = { seq: ++last, event, json };
    deliver(entry);
    let stored = RESOLVED;
    if (store) {
      stored = store.append(entry);
    } else {
      memory.push(entry);
      if (memory.length > memoryMax) memory.splice(0, memory.length - memoryMax);
    }
    return { ok: true, entry, stored };
  }

  return {
    publish,
    publishValidated: (event) => publishValidated(event),
    publishForeign(input: unknown): PublishResult {
      const checked = completeEvent(input, now());
      if (!checked.ok) return { ok: false, error: makeError('WS003', 'corral', `forwarded event fails the schema: ${checked.message}`, { severity: 'warning', context: { issues: checked.issues } }) };
      return publishValidated(checked.event, true);
    },
    setHost(next: string | undefined): void {
      host = next;
    },
    host: () => host,
    lastSeq: () => last,
    publishError(error: ErrorData, session?: string): PublishResult {
      return publish({
        event_type: `error.${error.error_code}`,
        source: 'corral',
        session_id: session ?? sessionId,
        payload: error,
      });
    },
    subscribe(filter: EventFilter, listener: BusListener): () => void {
      const sub: Subscriber = { match: compileFilter(filter), after: filter.after ?? 0, listener };
      subscribers = [...subscribers, sub];
      return () => {
        subscribers = subscribers.filter((s) => s !== sub);
      };
    },
    history(filter: EventFilter, options?: QueryOptions): QueryPage {
      return store ? store.query(filter, options) : queryMemory(memory, filter, options);
    },
    subscriberCount: () => subscribers.length,
    sessionId,
    storeBacklog: () => store?.pending() ?? 0,
    setRedact(redact: RedactOptions | undefined): void {
      redactor = createRedactor(redact);
    },
  };
}

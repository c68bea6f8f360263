import type { JetStreamClient } from '@nats-io/jetstream';
import type { Bus, EventStore } from '../bus/types.js';
import type { Logger } from '../plugins/types.js';
import { sendWindowed } from './send-window.js';

/** What the forwarder needs of the store: its pages, counts and the cursor kept beside the events. */
export type ForwardStore = Pick<EventStore, 'query'> & Required<Pick<EventStore, 'count' | 'getMeta' | 'setMeta'>>;

export interface ForwarderOptions {
  bus: Pick<Bus, 'subscribe'>;
  store: ForwardStore;
  host: string;
  prefix: string;
  /** Most events waiting; past it the oldest are skipped (and `overflow` is told how many). */
  backlog: number;
  logger: Logger;
  overflow(dropped: number, backlog: number): void;
  /** How often the watchdog looks for a backlog that stopped moving while connected (default 5 s). */
  watchdogMs?: number;
}

const CURSOR_KEY = 'federation_forwarded';
const OVERFLOW = 'federation.backlog_overflow';
/** Pause before a pass that failed (a publish refused or timed out, the store busy) is tried again. */
const RETRY_MS = 2000;

/**
 * Store and forward: the local store is the backlog. Every local event (the
 * own `host`) after the persisted cursor goes to JetStream in seq order, with
 * its id as the message id (so a resend after a lost ack is stored once); the
 * cursor moves past what NATS acknowledged. While NATS is away nothing is
 * sent and the events wait in the store, so they survive a daemon restart;
 * more than `backlog` of them and the oldest are skipped.
 *
 * Whatever ends a pass early (a publish that fails or times out mid-page, the
 * store busy or failing) schedules the next one; and a watchdog starts a pass
 * whenever events wait while NATS is connected and no pass runs, so the drain
 * always resumes (a pass that threw used to leave it stopped until the next
 * local event: docs/federation.md, "The backlog").
 */
export function createForwarder(o: ForwarderOptions) {
  const key = `${CURSOR_KEY}:${o.host}`;
  let cursor = o.store.getMeta(key) ?? 0;
  let js: JetStreamClient | null = null;
  let pumping = false;
  let again = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let checkTimer: NodeJS.Timeout | null = null;

  const pendingFilter = () => ({ host: o.host, after: cursor });

  const save = () => o.store.setMeta(key, cursor);

  /**
   * Skips the oldest events beyond the backlog, and says so once per skip.
   * The overflow events themselves do not count: saying that events were
   * dropped must not drop another one.
   */
  function trim(): void {
    const notices = o.store.count({ ...pendingFilter(), event_type: OVERFLOW });
    const waiting = o.store.count(pendingFilter()) - notices;
    if (waiting <= o.backlog) return;
    const dropped = waiting - o.backlog;
    let skip = dropped;
    while (skip > 0) {
      const page = o.store.query(pendingFilter(), { limit: Math.min(skip + notices, 10_000) });
      if (page.events.length === 0) break;
      for (const e of page.events) {
        if (skip === 0) break;
        cursor = e.seq;
        if (e.event.event_type !== OVERFLOW) skip--;
      }
    }
    save();
    o.logger.warn(`federation: ${dropped} events waited to be forwarded beyond federation.backlog (${o.backlog}); the oldest were skipped`);
    o.overflow(dropped, o.backlog);
  }

  const later = (why: string): void => {
    o.logger.warn(`federation: forwarding paused: ${why}`);
    // Tried again shortly (or at the next connect).
    if (!retry && !closed) retry = setTimeout(() => ((retry = null), void pump()), RETRY_MS);
  };

  let wake: (() => void) | null = null;

  /** Sends what waits, up to WINDOW publishes awaiting their ack at a time; false when a publish failed (a retry is scheduled). */
  async function drain(client: JetStreamClient): Promise<boolean> {
    const failure = await sendWindowed({
      client,
      prefix: o.prefix,
      host: o.host,
      cursor,
      read: (after, limit) => o.store.query({ host: o.host, after }, { limit }),
      moved: (next, final) => {
        if (next === cursor && !final) return;
        cursor = next;
        save();
      },
      live: () => js === client && !closed,
      onWake: (fn) => (wake = fn),
    });
    if (!failure) return true;
    later(failure.message);
    return false;
  }

  async function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        trim();
        const client = js;
        if (!client || closed) return;
        if (!(await drain(client))) return;
      } while (again);
    } catch (err) {
      // The store refused (busy, closed) or anything else threw: never the end of forwarding.
      if (!closed) later((err as Error).message);
    } finally {
      pumping = false;
    }
  }

  // The watchdog: events waiting, connected, no pass running, none scheduled: start one.
  const watchdog = setInterval(() => {
    if (closed || !js || pumping || retry) return;
    try {
      if (o.store.count(pendingFilter()) === 0) return;
    } catch {
      return;
    }
    void pump();
  }, o.watchdogMs ?? 5000);
  watchdog.unref();

  let scheduled = false;
  const unsubscribe = o.bus.subscribe({ host: o.host }, () => {
    if (js) {
      if (pumping) {
        again = true;
        wake?.();
      } else if (!scheduled) {
        scheduled = true;
        setImmediate(() => ((scheduled = false), void pump()));
      }
    } else if (!checkTimer && !closed) {
      // Offline: the bound is checked at most once a second, not on every event.
      checkTimer = setTimeout(() => {
        checkTimer = null;
        if (!closed) trim();
      }, 1000);
    }
  });

  return {
    /** NATS is reachable: forward what waits. */
    online(client: JetStreamClient): void {
      js = client;
      void pump();
    },
    offline(): void {
      js = null;
    },
    /** Events waiting to be forwarded. */
    pending(): number {
      // The bound holds whenever anyone looks, not only at the next check.
      if (!closed) trim();
      return o.store.count(pendingFilter()) - o.store.count({ ...pendingFilter(), event_type: OVERFLOW });
    },
    close(): void {
      closed = true;
      js = null;
      unsubscribe();
      clearInterval(watchdog);
      if (retry) clearTimeout(retry);
      if (checkTimer) clearTimeout(checkTimer);
      retry = checkTimer = null;
    },
  };
}
export type Forwarder = ReturnType<typeof createForwarder>;

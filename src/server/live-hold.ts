import type { Bus, BusEntry } from '../bus/types.js';
import type { EventFilter } from '../schema/messages.js';
import { initialFrame, type EntryJson } from './frames.js';
import type { MemoryBudget } from './memory-budget.js';
import type { Outbound } from './outbound-queue.js';
import { createPageReader, pageSlices, type Page } from './page-slices.js';

/** The live events of one connection while its `initial` page is read (ws-connection.ts subscribe). */
export interface LiveHold {
  /** The bus listener: holds the event while the page is read, delivers it once the page is sent. */
  listener(entry: BusEntry): void;
  /** Sends the page, then the held events after its last one, and lets later events through. */
  release(page: Page): void;
  /** Drops the held events (a new subscribe, the connection closed) and gives back what they and the page held of the budget. */
  drop(): void;
}

export interface LiveHoldOptions {
  /** What the page may hold (outbound-queue.ts pageRoom): reserved in the budget until the page is sent. */
  room: number;
  budget: MemoryBudget;
  /** Bytes of held events past which the client is too slow (its own limit). */
  hardLimit: number;
  outbound: Pick<Outbound, 'deliver' | 'sendPage'>;
  /** The page as a wire frame (`initial`). */
  pageFrame(page: Page): Buffer;
  /** The page's cursor when it is empty: held events at or before it are not sent. */
  emptySeq: number;
  /** The held events passed the client's limit or the daemon's budget: the connection closes the client (1013). */
  tooMany(heldBytes: number): void;
}

/**
 * Holds a connection's live events while its page is read over several
 * event-loop turns: counted against the daemon's budget (with the page's
 * `room`, reserved at once so other pages are sized with it) and the client's
 * hard limit. Sent right after the page, in order, but those the page holds.
 */
export function createLiveHold(o: LiveHoldOptions): LiveHold {
  o.budget.reserve(o.room);
  let held: BusEntry[] | null = [];
  let heldBytes = 0;
  let charge = o.room;
  const drop = (): void => {
    held = null;
    o.budget.release(charge);
    charge = 0;
  };
  return {
    listener(entry) {
      if (held === null) return o.outbound.deliver(entry);
      const len = entry.json.length;
      if (heldBytes + len > o.hardLimit || !o.budget.tryReserve(len)) return o.tooMany(heldBytes);
      held.push(entry);
      heldBytes += len;
      charge += len;
    },
    release(page) {
      const last = page.entries.length > 0 ? page.entries[page.entries.length - 1]!.seq : o.emptySeq;
      o.outbound.sendPage(o.pageFrame(page));
      const live = held ?? [];
      // The page is in the socket's count now: what was reserved for it and for the held events goes back.
      drop();
      for (const entry of live) if (entry.seq > last) o.outbound.deliver(entry);
    },
    drop,
  };
}

export interface PagedSubscriptionOptions {
  bus: Bus;
  filter: EventFilter;
  /** Most events in the page (`replayCap` for a replay, `history` otherwise). */
  count: number;
  room: number;
  budget: MemoryBudget;
  hardLimit: number;
  outbound: Pick<Outbound, 'deliver' | 'sendPage'>;
  /** The dashboard's `/stream` shape (frames.ts compatJson), or the stored JSON. */
  json?: EntryJson;
  /** Runs a step of the connection: what it throws closes that connection (ws-connection.ts guardedCall). */
  guarded(step: () => void): void;
  tooMany(heldBytes: number): void;
}

/**
 * Subscribes now and reads the `initial` page in slices (page-slices.ts) up
 * to the bus's last seq now; what the subscription delivers meanwhile is
 * held (createLiveHold) and sent right after the page. Returns `stop`, which
 * ends it at any point: the read, the held events, the subscription.
 */
export function subscribeWithPage(o: PagedSubscriptionOptions): () => void {
  const upTo = o.bus.lastSeq();
  // With nothing to send, the cursor is where the client stands, so a reconnect never replays the whole store.
  const emptySeq = o.filter.after ?? upTo;
  const hold = createLiveHold({
    room: o.room,
    budget: o.budget,
    hardLimit: o.hardLimit,
    outbound: o.outbound,
    emptySeq,
    pageFrame: (page) => initialFrame(page.entries, page.extra, emptySeq, o.json),
    tooMany: o.tooMany,
  });
  let unsubscribe = o.bus.subscribe(o.filter, hold.listener);
  let stopped = false;
  const cancelRead = pageSlices.run(
    createPageReader(o.bus, { filter: o.filter, count: o.count, room: o.room, upTo }),
    (page) =>
      o.guarded(() => {
        hold.release(page);
        // Sending the page or the held events may have closed the connection (stop was called).
        if (stopped) return;
        // From now on the outbound queue is the listener itself: no hop through the hold for every event.
        // Nothing is published between these two lines, so no event is missed or sent twice.
        unsubscribe();
        unsubscribe = o.bus.subscribe(o.filter, o.outbound.deliver);
      }),
    (err) =>
      o.guarded(() => {
        throw err;
      }),
  );
  return () => {
    stopped = true;
    cancelRead();
    hold.drop();
    unsubscribe();
  };
}

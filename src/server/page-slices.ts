import type { Bus, BusEntry } from '../bus/types.js';
import type { EventFilter } from '../schema/messages.js';

// An `initial` page (a replay after a cursor, or the newest events) read from
// the store in slices: at most SLICE_BYTES of events per read, and one
// event-loop turn runs slices (of every connection building a page, in turn)
// for at most TURN_MS before it yields with setImmediate; a page read to its
// end is sent in a turn of its own. Twenty clients each
// asking for a 4 MiB replay at once never hold the loop for long: a
// `/health` request, a publish, a write of the store waits for at most one
// turn's slices.

/** Most characters of event JSON one slice reads. */
export const SLICE_BYTES = 256 * 1024;
/** Most events one slice reads. */
export const SLICE_EVENTS = 1000;
/** A turn runs slices until this much time has passed (at least one slice). */
export const TURN_MS = 5;

/** What a page is made of, and how far it reaches. */
export interface PageSpec {
  filter: EventFilter;
  /** Most events in the page (`replayCap` for a replay, `history` otherwise). */
  count: number;
  /** Most characters of event JSON (the first event is always taken, whatever its size). */
  room: number;
  /** The bus's last seq when the client subscribed: the page stops there; later events are delivered live. */
  upTo: number;
}

/** A finished page: events oldest first; `truncated` with `next_cursor` when a replay stopped at its bounds. */
export interface Page {
  entries: BusEntry[];
  extra: { truncated?: true; next_cursor?: string };
}

/** A page being read, one slice at a time. */
export interface PageReader {
  /** Reads the next slice; true once the page is complete (see `page`). */
  step(): boolean;
  /** The page read so far (complete once `step` returned true). */
  page(): Page;
}

/**
 * Reads a page in slices. A replay (`filter.after` set) goes forward from the
 * cursor up to `upTo` (oldest first), stopping short with `truncated` when
 * `count` or `room` is reached first; otherwise the newest events at or
 * before `upTo` are read backwards. Reads see committed rows and the entries
 * the store has queued but not yet written (store-query.ts), so the page is
 * exactly what the store held up to `upTo` at the time of each slice.
 */
export function createPageReader(bus: Bus, spec: PageSpec): PageReader {
  const replay = spec.filter.after !== undefined;
  const entries: BusEntry[] = [];
  let bytes = 0;
  let cursor: number | undefined = replay ? undefined : spec.upTo + 1;
  let more = true;
  let truncated = false;
  let done = spec.count <= 0 || (!replay && spec.upTo <= 0);

  function step(): boolean {
    if (done) return true;
    if (entries.length >= spec.count || bytes >= spec.room) {
      // Stopped at a bound: a replay says so when the store had more before upTo.
      truncated = replay && more;
      return (done = true);
    }
    const result = bus.history(spec.filter, {
      order: replay ? 'asc' : 'desc',
      limit: Math.min(SLICE_EVENTS, spec.count - entries.length),
      maxBytes: Math.max(1, Math.min(SLICE_BYTES, spec.room - bytes)),
      ...(cursor !== undefined ? { cursor: String(cursor) } : {}),
    });
    // A slice is oldest first; the backwards read takes it newest first.
    const slice = replay ? result.events : result.events.reverse();
    for (const e of slice) {
      if (replay && e.seq > spec.upTo) return (done = true);
      if (entries.length > 0 && bytes + e.json.length > spec.room) {
        truncated = replay;
        return (done = true);
      }
      entries.push(e);
      bytes += e.json.length;
      cursor = e.seq;
    }
    more = result.next_cursor !== null;
    if (!more || slice.length === 0) done = true;
    return done;
  }

  return {
    step,
    page() {
      const list = replay ? entries : entries.slice().reverse();
      if (!truncated || list.length === 0) return { entries: list, extra: {} };
      return { entries: list, extra: { truncated: true, next_cursor: String(list[list.length - 1]!.seq) } };
    },
  };
}

interface Job {
  reader: PageReader;
  onDone(page: Page): void;
  onError(err: unknown): void;
  cancelled: boolean;
}

/** Runs page readers a slice at a time, round robin, TURN_MS per event-loop turn. */
export interface SliceScheduler {
  /** Reads the page; `onDone` (or `onError`) is called later, never synchronously. Returns a cancel function. */
  run(reader: PageReader, onDone: (page: Page) => void, onError: (err: unknown) => void): () => void;
  /** Pages being read. */
  size(): number;
}

export function createSliceScheduler(turnMs = TURN_MS): SliceScheduler {
  // In turn order: a job that read a slice goes to the back, across turns too.
  const jobs = new Set<Job>();
  // Read to the end: each is sent (its frame built and written, ~10 ms for 4 MiB) in a turn of its own.
  const ready: Job[] = [];
  let scheduled = false;

  function turn(): void {
    scheduled = false;
    const done = ready.shift();
    if (done) {
      if (!done.cancelled) done.onDone(done.reader.page());
      if (jobs.size > 0 || ready.length > 0) schedule();
      return;
    }
    const start = performance.now();
    for (let job = first(); job; job = performance.now() - start < turnMs ? first() : undefined) {
      jobs.delete(job);
      let finished: boolean;
      try {
        finished = job.reader.step();
      } catch (err) {
        if (!job.cancelled) job.onError(err);
        continue;
      }
      // A job cancelled during its own step (its client closed) is finished for no one.
      if (job.cancelled) continue;
      if (finished) ready.push(job);
      else jobs.add(job);
    }
    if (jobs.size > 0 || ready.length > 0) schedule();
  }

  const first = (): Job | undefined => jobs.values().next().value;

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(turn);
  }

  return {
    run(reader, onDone, onError) {
      const job: Job = { reader, onDone, onError, cancelled: false };
      jobs.add(job);
      schedule();
      return () => {
        job.cancelled = true;
        jobs.delete(job);
      };
    },
    size: () => jobs.size + ready.filter((j) => !j.cancelled).length,
  };
}

/** The process's scheduler: one event loop, so one budget of time per turn for every connection. */
export const pageSlices = createSliceScheduler();

import type { JetStreamClient } from '@nats-io/jetstream';
import type { QueryPage } from '../bus/types.js';
import { eventSubject } from './subjects.js';

/** Publishes awaiting their JetStream ack at most (the window). */
export const WINDOW = 1024;
/** Events read from the store at a time. */
const PAGE = 256;
/** The cursor is written at most this often while a drain runs (a resend after a crash is stored once: the message id). */
const SAVE_EVERY_MS = 200;

interface Sent {
  seq: number;
  done: boolean;
  error: Error | null;
  settled: Promise<void>;
}

export interface SendRun {
  client: JetStreamClient;
  prefix: string;
  host: string;
  /** The acknowledged cursor: events after it are sent. */
  cursor: number;
  /** The host's events after `after`, oldest first. */
  read(after: number, limit: number): QueryPage;
  /** The cursor moved (the acknowledged prefix grew); `final` at the end of the run. */
  moved(cursor: number, final: boolean): void;
  /** False once the run must stop issuing publishes (offline, closed, another connection). */
  live(): boolean;
  /** Set by the caller: called when new events are stored, so a run waiting for acks reads them at once. */
  onWake(wake: (() => void) | null): void;
}

/**
 * Streams the backlog to JetStream in order, with up to WINDOW publishes
 * awaiting their ack (on one connection NATS keeps their order). The cursor
 * moves past the acknowledged prefix only: after a publish that fails or
 * times out, nothing more is sent, what is out settles, and the run ends with
 * that error (the caller tries again from the cursor; what JetStream already
 * stored beyond it is recognised by its message id).
 */
export async function sendWindowed(r: SendRun): Promise<Error | null> {
  const inflight: Sent[] = [];
  let readAfter = r.cursor;
  let cursor = r.cursor;
  let failure: Error | null = null;
  let savedAt = Date.now();

  const send = (seq: number, type: string, json: string, id: string): Sent => {
    const s: Sent = { seq, done: false, error: null, settled: Promise.resolve() };
    s.settled = r.client.publish(eventSubject(r.prefix, r.host, type), json, { msgID: id, timeout: 10_000 }).then(
      () => void (s.done = true),
      (err: unknown) => {
        s.done = true;
        s.error = err instanceof Error ? err : new Error(String(err));
      },
    );
    return s;
  };
  const collect = (): void => {
    const before = cursor;
    while (inflight[0]?.done) {
      const head = inflight.shift()!;
      if (head.error) failure ??= head.error;
      else if (!failure) cursor = head.seq;
    }
    if (cursor !== before && Date.now() - savedAt >= SAVE_EVERY_MS) {
      savedAt = Date.now();
      r.moved(cursor, false);
    }
  };

  try {
    for (;;) {
      collect();
      if (failure || !r.live()) break;
      if (inflight.length < WINDOW) {
        const page = r.read(readAfter, Math.min(PAGE, WINDOW - inflight.length));
        for (const e of page.events) {
          inflight.push(send(e.seq, e.event.event_type, e.json, e.event.id));
          readAfter = e.seq;
        }
        if (page.events.length > 0) continue;
      }
      if (inflight.length === 0) break;
      // The oldest ack, or new events to send: whichever comes first.
      await Promise.race([inflight[0]!.settled, new Promise<void>((wake) => r.onWake(wake))]);
      r.onWake(null);
    }
  } finally {
    // Nothing more is sent; what is out settles (each publish has its timeout).
    await Promise.all(inflight.map((s) => s.settled));
    collect();
    r.moved(cursor, true);
  }
  return failure;
}

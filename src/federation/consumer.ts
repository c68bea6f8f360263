import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Bus, EventStore } from '../bus/types.js';
import type { Logger } from '../plugins/types.js';
import { consumerName, hostOfSubject } from './subjects.js';
import { consumerGone } from './stream.js';

/**
 * How long one pull request waits (the client renews it; the server's idle
 * heartbeats come at half of it). A pull request lost with a cluster node that
 * died, or with a consumer leader that moved, is noticed after two missed
 * heartbeats: 5 s here, where the client's default (30 s) let other hosts'
 * events wait half a minute after a node failure.
 */
const PULL_EXPIRES_MS = 5000;

export interface ConsumerOptions {
  bus: Required<Pick<Bus, 'publishForeign'>>;
  store: Required<Pick<EventStore, 'hasId'>>;
  host: string;
  stream: string;
  prefix: string;
  logger: Logger;
  /** Makes the durable consumer again after its ack floor (or after `known` when it is gone): src/federation/stream.ts `rewindConsumer`. */
  rewind(known: number): Promise<number>;
  /** How often the watchdog checks that what waits is being delivered (default 10 s); a stall is 2 checks with nothing taken. */
  watchdogMs?: number;
}

/** Ids remembered up to 20,000, the older half dropped past that (a Set iterates oldest first). */
function recentIds() {
  const ids = new Set<string>();
  return {
    ids,
    remember(id: string): void {
      ids.add(id);
      if (ids.size <= 20_000) return;
      for (const old of ids) {
        ids.delete(old);
        if (ids.size <= 10_000) break;
      }
    },
  };
}

/** The event a message carries, or null (said in the log) when it is not a JSON object. */
function eventOf(m: JsMsg, logger: Logger): Record<string, unknown> | null {
  try {
    const event = m.json<Record<string, unknown>>();
    if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new Error('not a JSON object');
    return event;
  } catch (err) {
    logger.warn(`federation: dropped a message on ${m.subject} that is not an event: ${(err as Error).message}`);
    return null;
  }
}

/** What a host whose account may not delete its consumer is told, once. */
function refusedRewind(consumer: string, err: Error): string {
  return (
    `federation: the durable consumer ${consumer} cannot be rewound to its ack floor: its account may not delete it (${err.message}). ` +
    'Deliveries lost or never acknowledged now come again after ack_wait, behind newer ones (docs/federation.md, "A least-privilege NATS account per host")'
  );
}

/** Calls `then` when the client reports the consumer of `msgs` deleted. */
function onDeleted(msgs: ConsumerMessages, then: () => void): void {
  void (async () => {
    for await (const s of msgs.status()) if (s.type === 'consumer_deleted') then();
  })().catch(() => undefined);
}

/**
 * Takes the other hosts' events from this host's durable consumer into the
 * local bus (subscribers, store) and acknowledges each once its store batch
 * has committed, so a restart resumes where it stopped. The host an event
 * carries is the one its subject names (NATS permissions decide who may
 * publish there). Own events and ones already stored are acknowledged and
 * skipped: an event is stored once, and never published again.
 *
 * Order: every host's events are stored in the order of the stream. A
 * delivery lost on the way (on a connection that went stale) leaves a hole
 * in the consumer's delivery sequence, and JetStream would send it again only
 * after `ack_wait`, behind newer ones; so would it a message taken before a
 * restart and never acknowledged, or one whose store write failed. In each
 * case nothing more is taken: the loop starts over on a consumer rewound to
 * its ack floor, which delivers the rest again in order (docs/federation.md,
 * "Order").
 *
 * A watchdog restarts the pull loop when events wait in NATS and none has
 * been taken for two checks while connected (a pull request lost on the way,
 * the consumer deleted under it: the client's own recovery does not come back
 * from every one of those).
 */
export function startConsumer(js: JetStreamClient, o: ConsumerOptions) {
  let messages: ConsumerMessages | null = null;
  let stopped = false;
  // Ids taken lately (the store's check sees committed rows only): a redelivery while its first copy is still queued is skipped too.
  const recent = recentIds();

  /** The consumer's next delivery sequence (null: not known yet); anything else means a delivery was lost. */
  let expected: number | null = null;
  /** Why the loop must start over at the ack floor (null: it need not). */
  let rewindWhy: string | null = null;
  /** The last ack floor a rewind started after. */
  let floor = 0;
  /** The account may not delete the consumer (docs/federation.md before the rewind): order is then JetStream's (ack_wait). */
  let rewindRefused = false;
  /** `now`: the loop starts over at once; otherwise after its pause (a store that keeps failing must not turn it into a busy loop). */
  const startOver = (why: string, now = true): void => {
    if (rewindWhy !== null || stopped) return;
    rewindWhy = why;
    if (now) restartNow = true;
    void messages?.close().catch(() => undefined);
  };

  function take(m: JsMsg): void {
    // Until the loop starts over, nothing is taken or acknowledged: the rewound consumer delivers it again.
    if (rewindWhy !== null) return;
    const delivery = m.info.deliverySequence;
    if (expected !== null && delivery !== expected && !rewindRefused) return startOver(`delivery ${expected} never came (got ${delivery})`);
    expected = delivery + 1;
    const host = hostOfSubject(m.subject);
    if (host === o.host) return m.ack();
    const event = eventOf(m, o.logger);
    if (!event) return m.term();
    if (typeof event.id === 'string' && (recent.ids.has(event.id) || o.store.hasId(event.id))) return m.ack();
    event.host = host;
    const res = o.bus.publishForeign(event);
    if (!res.ok) {
      o.logger.warn(`federation: dropped an event from ${host} on ${m.subject}: ${res.error.error_message}`);
      return m.term();
    }
    const id = res.entry.event.id;
    recent.remember(id);
    res.stored.then(
      () => m.ack(),
      (err: unknown) => {
        // Not stored: when it comes again it is taken again.
        recent.ids.delete(id);
        if (rewindRefused) return m.nak(5000);
        startOver(`storing an event from ${host} failed: ${(err as Error).message}`, false);
      },
    );
  }

  let lastTaken = Date.now();
  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        let consumer = await js.consumers.get(o.stream, consumerName(o.prefix, o.host)).catch((err: unknown) => {
          if (!consumerGone(err)) throw err;
          rewindWhy ??= 'the durable consumer is gone';
          return null;
        });
        let info = await consumer?.info(true);
        // Delivered before and never acknowledged (a restart, a loop that stopped): JetStream would send those after newer ones.
        if (info && info.num_ack_pending > 0 && !rewindRefused) rewindWhy ??= `${info.num_ack_pending} deliveries were never acknowledged`;
        // Without the right to delete it, a consumer that is there is taken as it is; one that is gone is made again.
        if (rewindWhy !== null && !(rewindRefused && consumer)) {
          try {
            floor = await o.rewind(floor);
            o.logger.info(`federation: consuming again after stream message ${floor} (${rewindWhy}), in order`);
          } catch (err) {
            if (!consumer || !/permissions violation/i.test((err as Error).message)) throw err;
            rewindRefused = true;
            o.logger.warn(refusedRewind(consumerName(o.prefix, o.host), err as Error));
          }
          consumer = await js.consumers.get(o.stream, consumerName(o.prefix, o.host));
          info = await consumer.info(true);
        }
        rewindWhy = null;
        expected = info!.delivered.consumer_seq + 1;
        const msgs = await consumer!.consume({ max_messages: 512, expires: PULL_EXPIRES_MS });
        messages = msgs;
        // The client says the consumer was deleted under it: start over now, not at the watchdog's second look.
        onDeleted(msgs, () => messages === msgs && startOver('the durable consumer was deleted'));
        // A start over asked for while the pull was set up (a store write of the last round failing) closed the old one.
        if (rewindWhy !== null) void msgs.close().catch(() => undefined);
        lastTaken = Date.now();
        for await (const m of msgs) {
          if (stopped) break;
          lastTaken = Date.now();
          try {
            take(m);
          } catch (err) {
            // One message that breaks must not end the loop: NATS delivers it again after ack_wait.
            o.logger.warn(`federation: could not take a message on ${m.subject}: ${(err as Error).message}`);
          }
        }
      } catch (err) {
        if (stopped) return;
        o.logger.warn(`federation: consuming ${o.stream} stopped (${(err as Error).message}); trying again`);
        if (consumerGone(err)) rewindWhy ??= 'the durable consumer is gone';
      }
      if (stopped) return;
      if (restartNow) restartNow = false;
      else await new Promise<void>((r) => setTimeout(r, 2000).unref());
    }
  };
  let restartNow = false;
  const running = run();

  /** Events wait in NATS, none taken lately: the loop starts over (and the consumer is made again when it is gone). */
  let checking = false;
  const check = async (): Promise<void> => {
    const every = o.watchdogMs ?? 10_000;
    if (stopped || checking || !messages || Date.now() - lastTaken < 2 * every) return;
    checking = true;
    try {
      let waiting: number;
      try {
        const info = await (await js.consumers.get(o.stream, consumerName(o.prefix, o.host))).info(true);
        waiting = info.num_pending;
      } catch (err) {
        if (!consumerGone(err)) return; // NATS unreachable: the reconnect will see to it
        o.logger.warn(`federation: the durable consumer ${consumerName(o.prefix, o.host)} is gone from ${o.stream}: making it again`);
        return startOver('the durable consumer is gone');
      }
      if (waiting === 0 || stopped) return;
      o.logger.warn(`federation: ${waiting} events wait in ${o.stream} and none came for ${Math.round((Date.now() - lastTaken) / 1000)} s: restarting the consumer`);
      lastTaken = Date.now();
      restartNow = true;
      await messages?.close().catch(() => undefined);
    } catch (err) {
      o.logger.warn(`federation: the consumer's watchdog: ${(err as Error).message}`);
    } finally {
      checking = false;
    }
  };
  const watchdog = setInterval(() => void check(), o.watchdogMs ?? 10_000);
  watchdog.unref();

  return {
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(watchdog);
      await messages?.close().catch(() => undefined);
      await Promise.race([running, new Promise<void>((r) => setTimeout(r, 1000).unref())]);
    },
  };
}
export type EventConsumer = ReturnType<typeof startConsumer>;

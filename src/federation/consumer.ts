import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Bus, EventStore } from '../bus/types.js';
import type { Logger } from '../plugins/types.js';
import { consumerName, hostOfSubject } from './subjects.js';

export interface ConsumerOptions {
  bus: Required<Pick<Bus, 'publishForeign'>>;
  store: Required<Pick<EventStore, 'hasId'>>;
  host: string;
  stream: string;
  prefix: string;
  logger: Logger;
  /** Creates the durable consumer again when NATS lost it (deleted by hand, a server that lost its store). */
  ensure(): Promise<void>;
  /** How often the watchdog checks that what waits is being delivered (default 10 s); a stall is 2 checks with nothing taken. */
  watchdogMs?: number;
}

/**
 * Takes the other hosts' events from this host's durable consumer into the
 * local bus (subscribers, store) and acknowledges each once its store batch
 * has committed, so a restart resumes where it stopped. The host an event
 * carries is the one its subject names (NATS permissions decide who may
 * publish there). Own events and ones already stored are acknowledged and
 * skipped: an event is stored once, and never published again.
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
  const recent = new Set<string>();
  const remember = (id: string): void => {
    recent.add(id);
    if (recent.size <= 20_000) return;
    // A Set iterates oldest first: the older half goes.
    for (const old of recent) {
      recent.delete(old);
      if (recent.size <= 10_000) break;
    }
  };

  function take(m: JsMsg): void {
    const host = hostOfSubject(m.subject);
    if (host === o.host) return m.ack();
    let event: Record<string, unknown>;
    try {
      event = m.json<Record<string, unknown>>();
      if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new Error('not a JSON object');
    } catch (err) {
      o.logger.warn(`federation: dropped a message on ${m.subject} that is not an event: ${(err as Error).message}`);
      return m.term();
    }
    if (typeof event.id === 'string' && (recent.has(event.id) || o.store.hasId(event.id))) return m.ack();
    event.host = host;
    const res = o.bus.publishForeign(event);
    if (!res.ok) {
      o.logger.warn(`federation: dropped an event from ${host} on ${m.subject}: ${res.error.error_message}`);
      return m.term();
    }
    remember(res.entry.event.id);
    res.stored.then(
      () => m.ack(),
      () => m.nak(5000),
    );
  }

  let lastTaken = Date.now();
  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(o.stream, consumerName(o.prefix, o.host));
        messages = await consumer.consume({ max_messages: 512 });
        lastTaken = Date.now();
        for await (const m of messages) {
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
        if (/consumer not found/i.test((err as Error).message)) await o.ensure().catch(() => undefined);
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
        if (!/consumer not found/i.test((err as Error).message)) return; // NATS unreachable: the reconnect will see to it
        o.logger.warn(`federation: the durable consumer ${consumerName(o.prefix, o.host)} is gone from ${o.stream}: making it again`);
        await o.ensure();
        waiting = 1;
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

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
}

/**
 * Takes the other hosts' events from this host's durable consumer into the
 * local bus (subscribers, store) and acknowledges each once its store batch
 * has committed, so a restart resumes where it stopped. The host an event
 * carries is the one its subject names (NATS permissions decide who may
 * publish there). Own events and ones already stored are acknowledged and
 * skipped: an event is stored once, and never published again.
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

  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(o.stream, consumerName(o.prefix, o.host));
        messages = await consumer.consume({ max_messages: 512 });
        for await (const m of messages) {
          if (stopped) break;
          take(m);
        }
      } catch (err) {
        if (stopped) return;
        o.logger.warn(`federation: consuming ${o.stream} stopped (${(err as Error).message}); trying again`);
      }
      if (!stopped) await new Promise<void>((r) => setTimeout(r, 2000).unref());
    }
  };
  const running = run();

  return {
    async stop(): Promise<void> {
      stopped = true;
      await messages?.close().catch(() => undefined);
      await Promise.race([running, new Promise<void>((r) => setTimeout(r, 1000).unref())]);
    },
  };
}
export type EventConsumer = ReturnType<typeof startConsumer>;

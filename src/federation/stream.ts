import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { FederationConfig } from '../config/federation-schema.js';
import { consumerName, streamSubject } from './subjects.js';

const NS_PER_MS = 1_000_000;
/** How long JetStream remembers a message id: a resend within it is stored once. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** The stream as `federation:` wants it. */
function wanted(cfg: FederationConfig): Partial<StreamConfig> & { name: string } {
  return {
    name: cfg.stream,
    subjects: [streamSubject(cfg.subject_prefix)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: cfg.max_age * NS_PER_MS,
    max_bytes: cfg.max_bytes,
    num_replicas: cfg.replicas,
    duplicate_window: Math.min(DUPLICATE_WINDOW_MS, cfg.max_age || DUPLICATE_WINDOW_MS) * NS_PER_MS,
  };
}

/** True when the stream's subjects take every host's events (`<prefix>.>` made by hand does too). */
function covers(subjects: string[] | undefined, prefix: string): boolean {
  return (subjects ?? []).some((s) => s === `${prefix}.>` || s === streamSubject(prefix));
}

/**
 * Creates the stream when missing, and updates it when its subjects or limits
 * differ. A stream made by an administrator (an account without the right to
 * update it) is used as it is: the answer is then a warning to log, not a failure.
 */
export async function ensureStream(jsm: JetStreamManager, cfg: FederationConfig): Promise<string | null> {
  const want = wanted(cfg);
  let info;
  try {
    info = await jsm.streams.info(cfg.stream);
  } catch {
    try {
      await jsm.streams.add(want);
      return null;
    } catch {
      // Another host made it at the same moment: read it back.
      info = await jsm.streams.info(cfg.stream);
    }
  }
  const c = info.config;
  const same = c.max_age === want.max_age && c.max_bytes === want.max_bytes && c.num_replicas === want.num_replicas && covers(c.subjects, cfg.subject_prefix);
  if (same) return null;
  const subjects = covers(c.subjects, cfg.subject_prefix) ? c.subjects : [...(c.subjects ?? []), ...want.subjects!];
  try {
    await jsm.streams.update(cfg.stream, { ...c, subjects, max_age: want.max_age!, max_bytes: want.max_bytes!, num_replicas: want.num_replicas! });
    return null;
  } catch (err) {
    if (!covers(c.subjects, cfg.subject_prefix)) throw new Error(`the stream ${cfg.stream} does not take ${streamSubject(cfg.subject_prefix)} and cannot be updated: ${(err as Error).message}`);
    return `the stream ${cfg.stream} keeps its own limits (max_age ${c.max_age / NS_PER_MS} ms, max_bytes ${c.max_bytes}, replicas ${c.num_replicas}): updating it to federation's failed: ${(err as Error).message}`;
  }
}

/** The durable consumer's settings: every host's events, explicit acks. */
function consumerConfig(cfg: FederationConfig) {
  return {
    durable_name: consumerName(cfg.subject_prefix, cfg.host),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: streamSubject(cfg.subject_prefix),
    max_ack_pending: 1000,
    ack_wait: 30_000 * NS_PER_MS,
  };
}

/** True when NATS answered that the consumer does not exist. */
export const consumerGone = (err: unknown): boolean => /consumer not found/i.test((err as Error)?.message ?? '');

/** The durable consumer of this host (`<prefix>-<host>`), from the start of what the stream keeps; made when missing. */
export async function ensureConsumer(jsm: JetStreamManager, cfg: FederationConfig): Promise<void> {
  const config = consumerConfig(cfg);
  try {
    await jsm.consumers.info(cfg.stream, config.durable_name);
    return;
  } catch {
    await jsm.consumers.add(cfg.stream, config);
  }
}

/**
 * Makes the durable consumer again, starting just after its ack floor (the
 * last message before which every delivery was acknowledged), so what was
 * delivered and never acknowledged comes again in stream order, before
 * anything newer. JetStream itself would redeliver those only after
 * `ack_wait`, behind the newer ones: the order src/federation/consumer.ts
 * keeps would be lost. Messages past the floor that were taken already are
 * recognised by their id. A consumer that is gone (deleted by hand, or by a
 * rewind whose second step failed) starts after `known`, the last floor this
 * daemon read (0: from the start). Resolves with the floor it started after.
 */
export async function rewindConsumer(jsm: JetStreamManager, cfg: FederationConfig, known = 0): Promise<number> {
  const config = consumerConfig(cfg);
  let floor = known;
  try {
    const info = await jsm.consumers.info(cfg.stream, config.durable_name);
    // Nothing acknowledged since it was made: nats-server says 0, where the floor is just before its start (a
    // rewind's start sequence), not the stream's first message.
    const start = info.config.deliver_policy === DeliverPolicy.StartSequence ? (info.config.opt_start_seq ?? 1) - 1 : 0;
    floor = Math.max(info.ack_floor.stream_seq, start);
    await jsm.consumers.delete(cfg.stream, config.durable_name);
  } catch (err) {
    if (!consumerGone(err)) throw err;
  }
  await jsm.consumers.add(cfg.stream, floor > 0 ? { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : config);
  return floor;
}

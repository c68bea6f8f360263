import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { FederationConfig } from '../config/federation-schema.js';
import { streamSubject } from './subjects.js';

const NS_PER_MS = 1_000_000;
/** How long JetStream remembers a message id: a resend within it is stored once. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

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
    duplicate_window: Math.min(DUPLICATE_WINDOW_MS, cfg.max_age || DUPLICATE_WINDOW_MS) * NS_PER_MS,
  };
}

/** Creates the stream when missing, updates it when its subjects or limits differ (another host may have made it). */
export async function ensureStream(jsm: JetStreamManager, cfg: FederationConfig): Promise<void> {
  const want = wanted(cfg);
  let info;
  try {
    info = await jsm.streams.info(cfg.stream);
  } catch {
    try {
      await jsm.streams.add(want);
      return;
    } catch {
      // Another host made it at the same moment: read it back.
      info = await jsm.streams.info(cfg.stream);
    }
  }
  const c = info.config;
  const same = c.max_age === want.max_age && c.max_bytes === want.max_bytes && c.duplicate_window === want.duplicate_window && (c.subjects ?? []).includes(want.subjects![0]!);
  if (same) return;
  const subjects = [...new Set([...(c.subjects ?? []), ...want.subjects!])];
  await jsm.streams.update(cfg.stream, { ...c, subjects, max_age: want.max_age!, max_bytes: want.max_bytes!, duplicate_window: want.duplicate_window! });
}

/** The durable consumer of this host (named after it): every host's events, explicit acks, from the start of what the stream keeps. */
export async function ensureConsumer(jsm: JetStreamManager, cfg: FederationConfig): Promise<void> {
  const config = {
    durable_name: cfg.host,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: streamSubject(cfg.subject_prefix),
    max_ack_pending: 1000,
    ack_wait: 30_000 * NS_PER_MS,
  };
  try {
    await jsm.consumers.info(cfg.stream, cfg.host);
    return;
  } catch {
    await jsm.consumers.add(cfg.stream, config);
  }
}

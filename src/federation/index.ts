import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { FederationConfig } from '../config/federation-schema.js';
import { publishOwn } from '../bus/own-events.js';
import type { Bus, EventStore } from '../bus/types.js';
import type { Logger } from '../plugins/types.js';
import type { ComponentInfo, Controller } from '../supervisor/types.js';
import { openLink, type Link, type LinkState } from './connection.js';
import { startConsumer, type EventConsumer } from './consumer.js';
import { serveControl, type RemoteOp, type RemoteReply } from './control.js';
import { createForwarder } from './forwarder.js';
import { createHostsTable, type HostTableView } from './hosts-kv.js';
import { ensureConsumer, ensureStream, rewindConsumer } from './stream.js';
import { controlSubject, hostsBucket } from './subjects.js';

export type { HostTableView } from './hosts-kv.js';
export type { RemoteOp, RemoteReply } from './control.js';

/** GET /health's `federation`. */
export interface FederationStatus {
  state: 'off' | LinkState;
  host?: string;
  servers?: string[];
  /** Local events waiting to be forwarded. */
  backlog?: number;
  last_error?: string;
}

export interface FederationOptions {
  config: FederationConfig;
  /** Relative credential paths are this directory's. */
  configDir: string;
  bus: Bus;
  store: EventStore;
  logger: Logger;
  /** The component table (`corral ps --json`). */
  list: () => ComponentInfo[];
  /** Who runs remote control requests (null until the supervisor is up). */
  controller: () => Controller | null;
}

/** How long a remote operation may take (a restart waits for the stop timeout and the start). */
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * Federation over NATS JetStream: the link (connect, reconnect, credentials),
 * the forwarder (local events out, in order, from the store), the consumer
 * (other hosts' events in), the component tables (KV) and remote control.
 */
export function startFederation(o: FederationOptions) {
  const cfg = o.config;
  const { bus, logger } = o;
  const store = o.store as Required<EventStore>;
  const own = <K extends 'federation.connected' | 'federation.disconnected' | 'federation.error' | 'federation.backlog_overflow'>(type: K, payload: Parameters<typeof publishOwn<K>>[2]) => void publishOwn(bus, type, payload);
  const forwarder = createForwarder({ bus, store, host: cfg.host, prefix: cfg.subject_prefix, backlog: cfg.backlog, logger, overflow: (dropped, backlog) => own('federation.backlog_overflow', { dropped, backlog }) });
  const hosts = createHostsTable({ host: cfg.host, bucket: hostsBucket(cfg.stream), replicas: cfg.replicas, list: o.list, logger });
  const unsubscribe = bus.subscribe({ event_type: 'component.*', host: cfg.host }, () => hosts.changed());
  // What one connection serves; a new connection (not a reconnect of the same one) gets its own.
  let served: { nc: NatsConnection; consumer: EventConsumer; control: Subscription } | null = null;
  let downAnnounced = false;

  const up = async (nc: NatsConnection, server: string): Promise<void> => {
    const jsm = await jetstreamManager(nc);
    const warning = await ensureStream(jsm, cfg);
    if (warning) logger.warn(`federation: ${warning}`);
    await ensureConsumer(jsm, cfg);
    const js: JetStreamClient = jetstream(nc);
    if (served?.nc !== nc) {
      await served?.consumer.stop();
      served = { nc, consumer: startConsumer(js, { bus: bus as Required<Bus>, store, host: cfg.host, stream: cfg.stream, prefix: cfg.subject_prefix, logger, rewind: (known) => rewindConsumer(jsm, cfg, known) }), control: serveControl(nc, cfg.subject_prefix, cfg.host, o.controller, logger) };
    }
    await hosts.attach(nc);
    forwarder.online(js);
    downAnnounced = false;
    logger.info(`federation: connected to ${server} as host ${cfg.host}`);
    own('federation.connected', { nats: server, host: cfg.host });
  };
  const announceDown = (error: string): void => {
    if (downAnnounced) return;
    downAnnounced = true;
    own('federation.disconnected', { error, host: cfg.host });
  };
  const link: Link = openLink(
    cfg,
    o.configDir,
    {
      up,
      down: (error) => {
        forwarder.offline();
        announceDown(error);
      },
      problem: (message, auth) => {
        if (auth) own('federation.error', { error: message, host: cfg.host, auth });
        if (link?.state() !== 'connected') announceDown(message);
      },
    },
    logger,
  );

  return {
    host: cfg.host,
    status(): FederationStatus {
      const last = link.lastError();
      return { state: link.state(), host: cfg.host, servers: link.servers(), backlog: forwarder.pending(), ...(last ? { last_error: last } : {}) };
    },
    /** Every host's last component table. */
    hosts: (): Promise<HostTableView[]> => hosts.read(),
    /** Asks HOST's daemon to start, stop or restart NAME; `status` is the HTTP status the answer deserves. */
    async request(host: string, op: RemoteOp, name: string): Promise<RemoteReply & { status: number }> {
      const nc = link.connection();
      if (!nc) return { ok: false, status: 503, error: `cannot reach host ${host}: NATS is ${link.state()} (${link.servers().join(', ')})${link.lastError() ? `: ${link.lastError()}` : ''}` };
      const subject = controlSubject(cfg.subject_prefix, host);
      try {
        const msg = await nc.request(subject, JSON.stringify({ op, name }), { timeout: REQUEST_TIMEOUT_MS });
        const reply = msg.json<RemoteReply>();
        return { ...reply, status: reply.ok ? 200 : (reply.status ?? 500) };
      } catch (err) {
        const e = err as Error;
        if (e.name === 'NoRespondersError' || /no responders/i.test(e.message)) return { ok: false, status: 404, error: `cannot reach host ${host}: no corral daemon answers on ${subject} (no such host, or its daemon is down)` };
        if (e.name === 'TimeoutError' || /timeout/i.test(e.message)) return { ok: false, status: 504, error: `host ${host} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s` };
        return { ok: false, status: 502, error: `asking host ${host} failed: ${e.message}` };
      }
    },
    async close(): Promise<void> {
      unsubscribe();
      forwarder.close();
      hosts.detach();
      await served?.consumer.stop();
      served = null;
      await link.close();
    },
  };
}
export type Federation = ReturnType<typeof startFederation>;

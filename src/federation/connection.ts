import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { connect, credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { FederationConfig } from '../config/federation-schema.js';
import type { Logger } from '../plugins/types.js';
import { cancellableSleep, jitteredDelay } from './backoff.js';

/** Where the link to NATS stands (GET /health's `federation.state`). */
export type LinkState = 'connecting' | 'connected' | 'disconnected';

/** What the link tells the rest of federation. */
export interface LinkHooks {
  /** Connected (first connect, a reconnect by the client, or a new connection): set up what the connection serves. A throw is reported and the connection is dropped and retried. */
  up(nc: NatsConnection, server: string): Promise<void>;
  /** The connection is gone (the client may be reconnecting). */
  down(error: string): void;
  /** A problem worth a clear word: NATS refused the credentials, a JetStream step failed. Called once per distinct message in a row. */
  problem(message: string, auth: boolean): void;
}

/** The link's view for /health and the control requests. */
export interface Link {
  state(): LinkState;
  servers(): string[];
  lastError(): string | undefined;
  /** The live connection, when connected. */
  connection(): NatsConnection | null;
  close(): Promise<void>;
}

/** The servers as a list (`nats:` may be one URL or a cluster's). */
export function serversOf(cfg: FederationConfig): string[] {
  return Array.isArray(cfg.nats) ? cfg.nats : [cfg.nats];
}

function readFile(configDir: string, path: string, what: string): Uint8Array {
  const full = isAbsolute(path) ? path : resolve(configDir, path);
  try {
    return readFileSync(full);
  } catch (err) {
    throw new Error(`cannot read the NATS ${what} file ${path}: ${(err as Error).message}`);
  }
}

/** The client options from `federation:`: servers, credentials, and reconnects for ever with jitter. */
export function connectOptions(cfg: FederationConfig, configDir: string): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: serversOf(cfg),
    name: `corral-${cfg.host}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 1000,
    timeout: 5000,
    pingInterval: cfg.ping_interval,
    maxPingOut: 2,
  };
  if (cfg.creds) opts.authenticator = credsAuthenticator(readFile(configDir, cfg.creds, 'creds'));
  else if (cfg.nkey) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(new TextDecoder().decode(readFile(configDir, cfg.nkey, 'nkey seed')).trim()));
  else if (cfg.user) Object.assign(opts, { user: cfg.user, pass: cfg.password ?? '' });
  return opts;
}

const AUTH_RE = /authori[sz]ation violation|authentication|user authentication expired|permissions violation/i;

/** A NATS error in words: which credentials NATS refused, when it refused them. */
export function describeNatsError(err: unknown, cfg: FederationConfig): { message: string; auth: boolean } {
  const raw = String((err as Error)?.message ?? err).replace(/^'|'$/g, '');
  if (!AUTH_RE.test(raw) && (err as Error)?.name !== 'AuthorizationError') return { message: raw, auth: false };
  const which = cfg.creds ? ` in ${cfg.creds}` : cfg.nkey ? ` (nkey seed ${cfg.nkey})` : cfg.user ? ` of user ${cfg.user}` : ' (none are configured: set federation.creds, nkey or user)';
  return { message: `NATS refused the credentials${which}: ${raw}`, auth: true };
}

/**
 * Keeps a connection to NATS for as long as federation is on: the client
 * reconnects by itself (for ever, with jitter); a connection that could not be
 * made, or that the client gave up (twice refused credentials), is retried here
 * with jittered backoff. Closing ends every retry at once.
 */
export function openLink(cfg: FederationConfig, configDir: string, hooks: LinkHooks, logger: Logger): Link {
  let state: LinkState = 'connecting';
  let last: string | undefined;
  let nc: NatsConnection | null = null;
  let stopped = false;
  let sleeping: { cancel(): void } | null = null;
  let lastProblem = '';

  const fail = (err: unknown): string => {
    const { message, auth } = describeNatsError(err, cfg);
    last = message;
    if (message !== lastProblem) {
      lastProblem = message;
      if (auth) logger.error(message);
      else logger.warn(`federation: ${message}`);
      hooks.problem(message, auth);
    }
    return message;
  };

  const bringUp = async (conn: NatsConnection): Promise<void> => {
    try {
      await hooks.up(conn, conn.getServer());
      if (stopped || conn.isClosed()) return;
      state = 'connected';
      last = undefined;
      lastProblem = '';
    } catch (err) {
      fail(err);
      await conn.close().catch(() => undefined);
    }
  };

  const watch = async (conn: NatsConnection): Promise<void> => {
    for await (const s of conn.status()) {
      if (stopped) return;
      if (s.type === 'disconnect') {
        state = 'disconnected';
        hooks.down(last ?? `lost ${s.server}`);
      } else if (s.type === 'reconnect') void bringUp(conn);
      else if (s.type === 'error') fail(s.error);
    }
  };

  const run = async (): Promise<void> => {
    for (let attempt = 0; !stopped; ) {
      let conn: NatsConnection;
      try {
        conn = await connect(connectOptions(cfg, configDir));
      } catch (err) {
        if (stopped) return;
        fail(err);
        if (state === 'connected') hooks.down(last ?? 'closed');
        state = attempt === 0 && state === 'connecting' ? 'connecting' : 'disconnected';
        const sleep = cancellableSleep(jitteredDelay(attempt++));
        sleeping = sleep;
        await sleep.done;
        sleeping = null;
        continue;
      }
      if (stopped) {
        await conn.close().catch(() => undefined);
        return;
      }
      attempt = 0;
      nc = conn;
      void watch(conn).catch(() => undefined);
      await bringUp(conn);
      const err = await conn.closed();
      nc = null;
      if (stopped) return;
      if (err) fail(err);
      if (state === 'connected') hooks.down(last ?? 'the connection closed');
      state = 'disconnected';
      const sleep = cancellableSleep(jitteredDelay(attempt++));
      sleeping = sleep;
      await sleep.done;
      sleeping = null;
    }
  };
  const running = run().catch((err: unknown) => logger.error(`federation: the NATS link stopped: ${(err as Error).message}`));

  return {
    state: () => state,
    servers: () => serversOf(cfg),
    lastError: () => last,
    connection: () => (state === 'connected' ? nc : null),
    async close() {
      stopped = true;
      sleeping?.cancel();
      const conn = nc;
      nc = null;
      if (conn) {
        // A drain flushes what is in flight; it is bounded, since a lost server never answers it. Without a
        // server it could only wait for one (the backlog on disk is forwarded by the next start anyway).
        if (state === 'connected' && !conn.isClosed()) {
          const bounded = new Promise<void>((r) => setTimeout(r, 1000).unref());
          await Promise.race([conn.drain().catch(() => undefined), bounded]);
        }
        await conn.close().catch(() => undefined);
      }
      // An attempt under way (a connect waits up to its 5 s timeout) is not waited for: it closes what it gets.
      await Promise.race([running, new Promise<void>((r) => setTimeout(r, 1000).unref())]);
    },
  };
}

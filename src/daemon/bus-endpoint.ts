import type { CorralConfig } from '../config/schema.js';
import type { Bus, EventStore } from '../bus/types.js';
import type { Controller } from '../supervisor/types.js';
import type { Logger } from '../plugins/types.js';
import type { ComponentStatus } from '../schema/messages.js';
import { createServer, describePortOwner, type CorralServer, type ServerOptions } from '../server/index.js';
import { DaemonStartError } from './start-error.js';
import { portSetting } from '../config/port-override.js';

export interface BusEndpointOptions {
  bus: Bus;
  store: EventStore;
  token: string;
  heartbeat: () => Record<string, ComponentStatus>;
  logger: Logger;
  version: string;
  configPath: string;
  /** The web dashboard's read-only data (src/server/routes-dashboard.ts). */
  dashboard?: ServerOptions['dashboard'];
  /** The `hooks:` rules and pending decisions, and the `notify:` rules (for /api/notify/test). */
  hooks?: ServerOptions['hooks'];
  notifier?: ServerOptions['notifier'];
  /** Federation's view (src/server/types.ts FederationView). */
  federation?: ServerOptions['federation'];
  /** The bus is served at a new address (first listen, or a rebind): daemon.json and CORRAL_URL follow it. */
  onAddress(host: string, port: number, url: string): void;
}

/** What a reload did of the changed bus settings. */
export interface BusApplied {
  /** Keys applied (all of them, or those before the one that failed). */
  applied: string[];
  /** The bus now listens at a new address. */
  moved: boolean;
  /** Why the rest was not applied (the old settings still serve). */
  error: Error | null;
}

/**
 * The bus's server: the first listen, and the reload of bus settings
 * (retention and redaction in place; a new address by a new server that is
 * listening before the old one closes; other server settings by a restart on
 * the same address, its clients closed with 1012 so they reconnect).
 */
export function createBusEndpoint(o: BusEndpointOptions) {
  let server: CorralServer | null = null;
  let controller: Controller | null = null;

  const serve = (cfg: CorralConfig) =>
    createServer({
      bus: o.bus,
      store: o.store,
      host: cfg.bus.host,
      port: cfg.bus.port,
      path: cfg.bus.path,
      token: o.token,
      auth: cfg.bus.auth,
      allowedOrigins: cfg.bus.allowed_origins,
      maxPayload: cfg.bus.max_payload,
      rateLimit: cfg.bus.rate_limit,
      maxClients: cfg.bus.max_clients,
      heartbeatMs: cfg.bus.heartbeat,
      history: cfg.bus.history,
      controller,
      heartbeat: o.heartbeat,
      logger: o.logger,
      version: o.version,
      config: o.configPath,
      ...(o.dashboard ? { dashboard: o.dashboard } : {}),
      ...(o.hooks ? { hooks: o.hooks } : {}),
      ...(o.notifier ? { notifier: o.notifier } : {}),
      ...(o.federation ? { federation: o.federation } : {}),
    });

  const current = (): CorralServer => {
    if (!server) throw new Error('the bus is not listening');
    return server;
  };

  /** Same address, new settings: the port is only free once the old server let go of it. */
  async function restart(next: CorralConfig, previous: CorralConfig, changed: string[]): Promise<void> {
    const old = current();
    const samePort = (cfg: CorralConfig): CorralConfig => ({ ...cfg, bus: { ...cfg.bus, port: old.port } });
    await old.close({ code: 1012, reason: `corral bus restarting to apply ${changed.join(', ')}` });
    try {
      server = await serve(samePort(next));
    } catch (err) {
      // Someone took the port in between (or the new settings cannot be served): serve the old ones again.
      const e = await describeBindError(err, samePort(next), o.configPath);
      server = await serve(samePort(previous));
      throw new Error(`bus settings (${changed.join(', ')}) not applied: ${e.message}`);
    }
    o.logger.info(`bus restarted on ${server.url} (${changed.join(', ')} changed)`);
  }

  /**
   * A new address: the new server listens, daemon.json names it, then the old
   * one's clients are closed with 1012 naming the new address; a client that
   * reconnects at once (re-reading daemon.json) already finds it, and resumes.
   */
  async function rebind(next: CorralConfig, changed: string[]): Promise<void> {
    let fresh: CorralServer;
    try {
      fresh = await serve(next);
    } catch (err) {
      const e = await describeBindError(err, next, o.configPath);
      throw new Error(`bus settings (${changed.join(', ')}) not applied: ${e.message}`);
    }
    const old = current();
    server = fresh;
    o.onAddress(next.bus.host, fresh.port, fresh.url);
    o.logger.info(`bus moved to ${fresh.url} (${changed.join(', ')} changed)`);
    await old.close({ code: 1012, reason: `corral bus moving to ${fresh.url.replace(/^http:\/\//, '')}` });
  }

  return {
    /** The server (throws before `listen`). */
    get server(): CorralServer {
      return current();
    },
    /** The server, or null before `listen` and after `close`. */
    get listening(): CorralServer | null {
      return server;
    },
    /** Serves the bus and the control API (`controller`) at the config's address. */
    async listen(cfg: CorralConfig, control: Controller): Promise<CorralServer> {
      controller = control;
      try {
        server = await serve(cfg);
      } catch (err) {
        throw await describeBindError(err, cfg, o.configPath);
      }
      o.onAddress(cfg.bus.host, server.port, server.url);
      return server;
    },
    /** Applies changed bus settings; never throws (what failed is in `error`). */
    async apply(next: CorralConfig, previous: CorralConfig, changed: string[], moves: boolean): Promise<BusApplied> {
      const applied: string[] = [];
      try {
        if (changed.includes('redact')) {
          try {
            o.bus.setRedact?.(next.bus.redact);
          } catch (err) {
            throw new Error(`bus.redact not applied: ${(err as Error).message}`);
          }
          applied.push('redact');
        }
        if (changed.includes('retention')) {
          o.store.setRetention?.(next.bus.retention);
          applied.push('retention');
        }
        const serverKeys = changed.filter((k) => k !== 'redact' && k !== 'retention');
        if (serverKeys.length === 0) return { applied, moved: false, error: null };
        if (moves) await rebind(next, serverKeys);
        else await restart(next, previous, serverKeys);
        applied.push(...serverKeys);
        return { applied, moved: moves, error: null };
      } catch (err) {
        return { applied, moved: false, error: err as Error };
      }
    },
    async close(): Promise<void> {
      const s = server;
      server = null;
      await s?.close();
    },
  };
}

export type BusEndpoint = ReturnType<typeof createBusEndpoint>;

/** Turns EADDRINUSE into a message naming who holds the port (exit 2). */
export async function describeBindError(err: unknown, cfg: CorralConfig, configPath: string): Promise<Error> {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    const owner = await describePortOwner(cfg.bus.host, cfg.bus.port);
    const setting = portSetting(cfg.bus.port, configPath);
    const change = setting.startsWith('bus.port')
      ? `set ${setting} (or give one with --port N or CORRAL_PORT=N)`
      : `give another port with ${setting === '--port' ? '--port N' : 'CORRAL_PORT=N'} (it overrides bus.port in ${configPath})`;
    return new DaemonStartError(`port ${cfg.bus.port} on ${cfg.bus.host} is taken by ${owner}; ${change}, or stop it`, 2);
  }
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
    return new DaemonStartError(`cannot bind ${cfg.bus.host}:${cfg.bus.port}: ${e.message} (bus.host in ${configPath})`, 2);
  }
  return e;
}

import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CorralConfig } from '../config/schema.js';
import type { Bus, EventStore } from '../bus/types.js';
import type { Controller } from '../supervisor/types.js';
import type { Logger } from '../plugins/types.js';
import { loadConfig } from '../config/load.js';
import { createEventStore } from '../bus/store.js';
import { createBus } from '../bus/bus.js';
import { BUSY_EVENTS_PER_SECOND, startAdaptiveJit } from './adaptive-jit.js';
import { replaySpool, spoolTargets, type SpoolRecord } from '../bus/spool.js';
import { resolveHookName } from '../bus/hook-name.js';
import { createServer, ensureToken, describePortOwner, type CorralServer } from '../server/index.js';
import { createSupervisor, type GroupInfo, type Supervisor } from '../supervisor/supervisor.js';
import { createLogLoad, createLogSink } from '../logs/index.js';
import { createResourceMonitor } from '../resources/monitor.js';
import { installPluginSafetyNet } from '../plugins/safety-net.js';
import {
  describeStateDirOwner,
  ensureDir,
  fallbackStateDir,
  isAlive,
  isCorralProcess,
  readDaemonInfo,
  stateDirFor,
  stateDirOwner,
  statePaths,
  writeDaemonInfo,
  type DaemonInfo,
} from './paths.js';
import { endOrphanGroups, processStartTicks, writeGroups } from './groups.js';
import { createLogger } from './logger.js';
import { createPluginHost } from './plugin-host.js';
import { createReloader } from './reload.js';
import { createHookGate } from '../hooks/gate.js';
import { startNotifications } from '../notify/index.js';
import { resourceTargets, selfTarget } from './resource-targets.js';
import { endStaleTmuxWindows } from '../runners/tmux/leftovers.js';
import { defaultTmuxSocket } from '../runners/tmux/tmux-command.js';

/** Thrown when the daemon cannot start; `exitCode` is what the CLI exits with (2 for config/port problems). */
export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'DaemonStartError';
  }
}

/** A running daemon. */
export interface Daemon {
  readonly config: CorralConfig;
  readonly configPath: string;
  readonly stateDir: string;
  readonly bus: Bus;
  /** The current server (a reload that moves the bus replaces it). */
  readonly server: CorralServer;
  readonly supervisor: Supervisor;
  readonly controller: Controller;
  readonly info: DaemonInfo;
  /** Settles once the daemon has shut down (after `shutdown()`, `corral down`, or a signal). */
  readonly done: Promise<void>;
  /** Stops every component (reverse dependency order) and then the daemon. */
  shutdown(reason?: string): Promise<{ blocked: string[] }>;
}

export interface StartDaemonOptions {
  configPath: string;
  version: string;
  /** Handle SIGINT/SIGTERM/SIGHUP (the CLI does; tests do not). */
  handleSignals?: boolean;
  /** Also write log lines here (`corral daemon` uses stderr). */
  echoLog?: (line: string) => void;
  /** Overall deadline of `corral down` (default 60 s). */
  downDeadlineMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Starts the daemon: state dir, store, bus, server, supervisor, resources, config watch; then every component. */
export async function startDaemon(opts: StartDaemonOptions): Promise<Daemon> {
  const { configPath } = opts;
  const configDir = dirname(configPath);
  // What the components' log sinks take in: the adaptive JIT's other measure of load.
  const logLoad = createLogLoad();
  const pluginHost = createPluginHost({
    configPath,
    configDir,
    logLoad,
    // CORRAL_URL is where the bus was when the component started; a client that reads
    // CORRAL_STATE_DIR/daemon.json on each reconnect (corral's own does) follows it when it moves.
    baseEnv: () => ({ CORRAL_URL: server.url, CORRAL_CONFIG: configPath, CORRAL_STATE_DIR: stateDir }),
  });
  const loaded = await loadConfig(configPath, { resolvePluginSchema: pluginHost.resolveSchema });
  if (!loaded.ok) {
    const lines = loaded.errors.map((e) => `${configPath}${e.line ? `:${e.line}:${e.column ?? 1}` : ''}${e.path ? ` ${e.path}` : ''}: ${e.message}`);
    throw new DaemonStartError(`invalid config:\n${lines.join('\n')}`, 2);
  }
  let current: CorralConfig = loaded.config;
  pluginHost.setPluginDirs(current.plugin_dirs);
  const stateDir = ensureDir(stateDirFor(configPath, current.state_dir));
  const paths = statePaths(stateDir);
  ensureDir(paths.logs);

  // Another config's daemon holds this state directory (two configs in one directory): touch nothing of it.
  const owner = stateDirOwner(stateDir, configPath);
  if (owner) throw new DaemonStartError(describeStateDirOwner(stateDir, configPath, owner), 2);
  const previous = readDaemonInfo(stateDir);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid) && isCorralProcess(previous.pid)) {
    throw new DaemonStartError(`corral is already running for this config (pid ${previous.pid}, port ${previous.port}); use \`corral down\` first`, 1);
  }
  if (!LOOPBACK.has(current.bus.host) && current.bus.auth !== 'required') {
    throw new DaemonStartError(`bus.host ${current.bus.host} is not a loopback address: set bus.auth: required to bind it (every client then needs the token)`, 2);
  }

  const logSink = createLogSink({ dir: paths.logs, name: 'corral', maxSize: current.logs.max_size, maxFiles: current.logs.max_files });
  const logger: Logger = createLogger((line) => {
    logSink.write('out', line);
    opts.echoLog?.(line);
  });

  if (opts.handleSignals) {
    // Each project's tmux components live on a tmux server of their own (`tmux -L corral-<id>`), so two
    // corrals on one machine never see, reuse or kill each other's sessions. (Tests set their own socket.)
    process.env.CORRAL_TMUX_SOCKET ||= `corral-${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}`;
  }

  // A daemon that died left its process groups running: end them before anything binds a port.
  const ended = await endOrphanGroups(stateDir);
  if (ended.length > 0) logger.warn(`ended process groups left by a previous daemon: ${ended.join(', ')}`);
  // And its tmux windows, on the project's tmux server: the processes still in them, then the windows
  // (those of components since removed from the config included; a tmux component's own start ends
  // what a dead corral left in its session too, on whatever server it runs).
  const closed = await endStaleTmuxWindows(defaultTmuxSocket()).catch((err: unknown) => {
    logger.warn(`ending tmux windows left by a previous daemon failed: ${(err as Error).message}`);
    return 0;
  });
  if (closed > 0) logger.warn(`closed ${closed} tmux window(s) left by a previous daemon on tmux server ${defaultTmuxSocket()}`);

  const token = ensureToken(stateDir);
  let store: EventStore;
  try {
    store = createEventStore({ file: paths.events, retention: current.bus.retention });
  } catch (err) {
    await logSink.close();
    throw new DaemonStartError(`cannot open the event store ${paths.events}: ${(err as Error).message}`, 1);
  }
  const sessionId = `corral_${Date.now()}_${randomUUID().slice(0, 8)}`;
  const bus = createBus({ store, redact: current.bus.redact, sessionId });
  // Hook decisions (hooks:) and notifications (notify:): self-contained, told of each reload, ended at shutdown.
  const hookGate = createHookGate(current.hooks, (type, payload) => void bus.publish({ event_type: type, source: 'corral', session_id: sessionId, payload }));
  const notifications = startNotifications({ bus, config: current, configDir, logger });
  // Interpreter-only while quiet (small), compilers on once the bus or the logs are busy (fast).
  const jit = startAdaptiveJit({
    seq: () => bus.lastSeq(),
    logs: logLoad,
    onEnable: (rate, compilers, logRate) => {
      const what = rate >= BUSY_EVENTS_PER_SECOND ? `the bus is busy (${rate} events/s)` : `the logs are busy (${(logRate / 1e6).toFixed(1)} MB/s of output)`;
      logger.info(`${what}: V8's compilers are on for the rest of this run (${compilers.join(' ')})`);
    },
  });

  // Assigned once the server runs; the controller's closures read it later.
  // eslint-disable-next-line prefer-const
  let supervisor!: Supervisor;
  let shutdownPromise: Promise<{ blocked: string[] }> | null = null;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const controller: Controller = {
    list: () => supervisor.list(),
    statuses: () => supervisor.statuses(),
    start: (name) => supervisor.start(name),
    stop: (name) => supervisor.stop(name),
    restart: (name) => supervisor.restart(name),
    reload: () => reloader.reload('api'),
    // The HTTP answer goes out first; the shutdown runs right after it.
    shutdown: async () => void setImmediate(() => void shutdown('corral down')),
  };

  const serve = (cfg: CorralConfig) =>
    createServer({
      bus,
      store,
      host: cfg.bus.host,
      port: cfg.bus.port,
      path: cfg.bus.path,
      token,
      auth: cfg.bus.auth,
      allowedOrigins: cfg.bus.allowed_origins,
      maxPayload: cfg.bus.max_payload,
      rateLimit: cfg.bus.rate_limit,
      maxClients: cfg.bus.max_clients,
      heartbeatMs: cfg.bus.heartbeat,
      history: cfg.bus.history,
      controller,
      heartbeat: () => supervisor.statuses(),
      logger,
      version: opts.version,
      hooks: hookGate,
      notifier: notifications,
    });

  let server: CorralServer;
  try {
    server = await serve(current);
  } catch (err) {
    store.close();
    await logSink.close();
    throw await describeBindError(err, current, configPath);
  }

  supervisor = createSupervisor({
    bus,
    config: current,
    resolveLifecycle: (name, component) => pluginHost.createLifecycle({ name, component, bus, stateDir, logger, config: current }),
    onGroupsChanged: (groups) => {
      // Twenty components starting or stopping together make one write, not twenty
      // (each reading every leader's start time): the file is written on the next turn.
      pendingGroups = groups;
      groupsWrite ??= setImmediate(flushGroups);
    },
    logger,
  });

  const monitor = createResourceMonitor({
    bus,
    interval: current.resources.interval,
    samples: current.resources.samples,
    enabled: current.resources.enabled,
    getTargets: () => resourceTargets(current, supervisor),
    onRestart: (name, cause) => supervisor.autoRestart(name, cause),
    self: () => ({ active_connections: server.clientCount(), event_queue_size: server.backlog() + store.pending() }),
    setSample: (name, metrics) => supervisor.setSample(name, metrics),
    // The daemon is judged by the ecosystem-wide settings, like a component that sets none.
    selfTarget: () => selfTarget(current),
    onError: (err, component) => logger.warn(`resource sampling${component ? ` of ${component}` : ''} failed: ${(err as Error).message}`),
  });

  const info: DaemonInfo = {
    pid: process.pid,
    host: current.bus.host,
    port: server.port,
    started_at: Date.now(),
    version: opts.version,
    config: configPath,
  };
  // daemon.json appears only once the supervisor knows every component, so `up -d` never sees an empty list.
  writeDaemonInfo(stateDir, info);

  // Hooks that arrived while no daemon ran: all of this project's, and those of the shared spool (hooks run
  // outside any project) that were meant for this daemon's address; the others wait there for theirs.
  const sharedSpool = join(fallbackStateDir(), 'spool');
  for (const dir of [paths.spool, sharedSpool]) {
    if (!existsSync(dir)) continue;
    const ours = dir === sharedSpool ? (r: SpoolRecord) => spoolTargets(r.url, current.bus.host, server.port) : undefined;
    // Hooks older than the bus keeps events are dropped, whoever they were meant for: the shared spool would
    // otherwise keep for ever those of an address where no corral runs.
    const replayed = await replaySpool(dir, (input) => bus.publish(input), ours, { maxAgeMs: current.bus.retention.age, resolveName: resolveHookName });
    if (replayed.replayed > 0 || replayed.skipped.length > 0) {
      logger.info(`replayed spooled hooks from ${dir}`, { published: replayed.replayed, skipped: replayed.skipped.length });
    }
    for (const skip of replayed.skipped.slice(0, 10)) logger.warn(`spooled hook not replayed (${skip.file}:${skip.line}): ${skip.reason}`);
    if (replayed.expired > 0) {
      logger.info(`dropped ${replayed.expired} spooled hook${replayed.expired === 1 ? '' : 's'} older than bus.retention.age (${+(current.bus.retention.age / 86_400_000).toFixed(2)} days) from ${dir}`, { expired: replayed.expired });
    }
  }

  let pendingGroups: GroupInfo[] | null = null;
  let groupsWrite: NodeJS.Immediate | null = null;
  /** Leader start times by pgid: read from /proc once per group, not on every write. */
  const startTicks = new Map<number, number | null>();
  const flushGroups = () => {
    groupsWrite = null;
    const groups = pendingGroups;
    pendingGroups = null;
    if (!groups) return;
    const live = new Set(groups.map((g) => g.pgid));
    for (const pgid of startTicks.keys()) if (!live.has(pgid)) startTicks.delete(pgid);
    try {
      writeGroups(
        stateDir,
        groups.map((g) => {
          if (!startTicks.has(g.pgid)) startTicks.set(g.pgid, processStartTicks(g.pgid));
          return { name: g.name, pgid: g.pgid, start_ticks: startTicks.get(g.pgid) ?? null };
        }),
      );
    } catch (err) {
      logger.warn(`cannot write the process-group file: ${(err as Error).message}`);
    }
  };

  const reloader = createReloader({
    configPath,
    initial: loaded,
    bus,
    logger,
    resolvePluginSchema: pluginHost.resolveSchema,
    apply: async (next, plan) => {
      // Bus settings that cannot be applied do not hold back the components saved in the same edit.
      let busError: Error | null = null;
      if (plan.bus.changed.length > 0) {
        try {
          await applyBusSettings(next, plan.bus.changed, plan.bus.rebind);
        } catch (err) {
          busError = err as Error;
        }
      }
      const previousConfig = current;
      // What runs is what `current` says: unapplied bus settings stay the old ones, so a later save retries them.
      current = busError ? { ...next, bus: previousConfig.bus } : next;
      pluginHost.setPluginDirs(next.plugin_dirs);
      hookGate.apply(next.hooks);
      notifications.apply(next);
      await supervisor.applyPlan(next, plan);
      for (const name of plan.removed) if (!next.components[name] || next.components[name]?.enabled === false) monitor.forget(name);
      if (next.resources.interval !== previousConfig.resources.interval) monitor.setInterval(next.resources.interval);
      if (next.resources.enabled !== previousConfig.resources.enabled) monitor.setEnabled(next.resources.enabled);
      if (busError) throw busError;
    },
  });

  /**
   * Bus settings changed. Retention and redaction apply in place; a new
   * address is served by a new server (rebind); any other server setting
   * (heartbeat, history, auth, origins, limits, path) restarts the server on
   * the address it holds, its clients closed with 1012 so they reconnect.
   */
  async function applyBusSettings(next: CorralConfig, changed: string[], moves: boolean): Promise<void> {
    if (changed.includes('redact')) {
      try {
        bus.setRedact?.(next.bus.redact);
      } catch (err) {
        throw new Error(`bus.redact not applied: ${(err as Error).message}`);
      }
    }
    if (changed.includes('retention')) store.setRetention?.(next.bus.retention);
    const serverKeys = changed.filter((k) => k !== 'redact' && k !== 'retention');
    if (serverKeys.length === 0) return;
    if (moves) return rebind(next, serverKeys);
    return restartServer(next, serverKeys);
  }

  /** Same address, new settings: the port is only free once the old server let go of it. */
  async function restartServer(next: CorralConfig, changed: string[]): Promise<void> {
    const old = server;
    const previous = current;
    const samePort = (cfg: CorralConfig): CorralConfig => ({ ...cfg, bus: { ...cfg.bus, port: old.port } });
    await old.close({ code: 1012, reason: `corral bus restarting to apply ${changed.join(', ')}` });
    try {
      server = await serve(samePort(next));
    } catch (err) {
      // Someone took the port in between (or the new settings cannot be served): serve the old ones again.
      const e = await describeBindError(err, samePort(next), configPath);
      server = await serve(samePort(previous));
      throw new Error(`bus settings (${changed.join(', ')}) not applied: ${e.message}`);
    }
    logger.info(`bus restarted on ${server.url} (${changed.join(', ')} changed)`);
  }

  /**
   * Bus settings changed: serve them from a new server, point daemon.json at
   * it, then close the old one's clients with 1012 (Service Restart) naming
   * the new address. daemon.json comes first, so a client that reconnects at
   * once (re-reading it) already finds the new port, and resumes.
   */
  async function rebind(next: CorralConfig, changed: string[]): Promise<void> {
    let fresh: CorralServer;
    try {
      fresh = await serve(next);
    } catch (err) {
      const e = await describeBindError(err, next, configPath);
      throw new Error(`bus settings (${changed.join(', ')}) not applied: ${e.message}`);
    }
    const old = server;
    server = fresh;
    Object.assign(info, { host: next.bus.host, port: fresh.port });
    writeDaemonInfo(stateDir, info);
    logger.info(`bus moved to ${fresh.url} (${changed.join(', ')} changed)`);
    await old.close({ code: 1012, reason: `corral bus moving to ${fresh.url.replace(/^http:\/\//, '')}` });
  }

  async function shutdown(reason = 'shutdown'): Promise<{ blocked: string[] }> {
    if (shutdownPromise) return shutdownPromise;
    shutdownPromise = (async () => {
      logger.info(`shutting down (${reason})`);
      jit.stop();
      await reloader.close();
      monitor.stop();
      hookGate.close();
      const result = await supervisor.stopAll(opts.downDeadlineMs ?? 60_000);
      if (result.blocked.length > 0) logger.error(`down deadline passed; still stopping: ${result.blocked.join(', ')}`);
      await pluginHost.disposeAll();
      notifications.dispose();
      await server.close();
      await store.flush();
      store.close();
      if (groupsWrite) clearImmediate(groupsWrite);
      if (result.blocked.length === 0) writeGroups(stateDir, []);
      else flushGroups();
      try {
        const onDisk = JSON.parse(readFileSync(paths.daemon, 'utf8')) as DaemonInfo;
        if (onDisk.pid === process.pid) rmSync(paths.daemon, { force: true });
      } catch {}
      await logSink.close();
      if (opts.handleSignals) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.off('SIGHUP', onHup);
        removeSafetyNet();
      }
      resolveDone();
      return result;
    })();
    return shutdownPromise;
  }

  const onSignal = (sig: NodeJS.Signals) => void shutdown(sig);
  const onHup = () => void reloader.reload('SIGHUP');
  let removeSafetyNet = () => {};
  if (opts.handleSignals) {
    // A plugin's stray error is logged and contained; anything else ends the daemon, and its groups with it.
    removeSafetyNet = installPluginSafetyNet(logger, () => {
      for (const c of supervisor.list()) {
        for (const pgid of supervisor.pidsOf(c.name)) {
          try {
            process.kill(-pgid, 'SIGKILL');
          } catch {}
        }
      }
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onHup);
  }

  logger.info(`listening on ${server.url}`, { state_dir: stateDir, components: Object.keys(current.components).length });
  // A save right after `up` returns must not be missed: wait until the watcher sees changes.
  await reloader.watch();
  monitor.start();
  // Components start in the background: the API answers while they come up.
  void supervisor.startAll().catch((err: unknown) => logger.error(`starting components failed: ${(err as Error).message}`));

  return {
    get config() {
      return current;
    },
    configPath,
    stateDir,
    bus,
    get server() {
      return server;
    },
    supervisor,
    controller,
    info,
    done,
    shutdown,
  };
}

/** Turns EADDRINUSE into a message naming who holds the port (exit 2). */
async function describeBindError(err: unknown, cfg: CorralConfig, configPath: string): Promise<Error> {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    const owner = await describePortOwner(cfg.bus.host, cfg.bus.port);
    return new DaemonStartError(`port ${cfg.bus.port} on ${cfg.bus.host} is taken by ${owner}; set bus.port in ${configPath} or stop it`, 2);
  }
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
    return new DaemonStartError(`cannot bind ${cfg.bus.host}:${cfg.bus.port}: ${e.message} (bus.host in ${configPath})`, 2);
  }
  return e;
}

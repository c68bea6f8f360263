import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CorralConfig } from '../config/schema.js';
import type { Controller } from '../supervisor/types.js';
import type { ReloadPlan } from '../config/diff.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { replicaBase, replicasOf, withReplicas } from '../config/replicas.js';
import { withPortOverride } from '../config/port-override.js';
import { createBus } from '../bus/bus.js';
import { openCheckedStore, StoreOpenError } from '../bus/store-open.js';
import { createStoreHandle } from '../bus/store-handle.js';
import { ensureToken } from '../server/token.js';
import { createSupervisor, type Supervisor } from '../supervisor/supervisor.js';
import { createLogLoad, createLogSink, noteRestarts, type LogSink } from '../logs/index.js';
import { createResourceMonitor, type ResourceMonitor } from '../resources/monitor.js';
import { DisposerStack } from '../util/disposers.js';
import { BUSY_EVENTS_PER_SECOND, startAdaptiveJit } from './adaptive-jit.js';
import { describeStateDirOwner, ensureDir, isAlive, isCorralProcess, readDaemonInfo, stateDirFor, stateDirOwner, statePaths, writeDaemonInfo, type DaemonInfo } from './paths.js';
import { endOrphanGroups } from './groups.js';
import { createGroupRecorder } from './groups.js';
import { createLogger } from './logger.js';
import { createPluginHost, type PluginHost } from './plugin-host.js';
import { createReloader, type Reloader } from './reload.js';
import { createSampleHistory, type SampleHistory } from '../server/sample-history.js';
import { createHookGate, type HookGate } from '../hooks/gate.js';
import { startNotifications, type Notifications } from '../notify/index.js';
import { publishOwn } from '../bus/own-events.js';
import type { LeftoversEndedPayload } from '../schema/payloads.js';
import { createBusEndpoint } from './bus-endpoint.js';
import { createFederationHolder, type FederationHolder } from './federation-holder.js';
import { resourceTargets, selfTarget } from './resource-targets.js';
import { DaemonStartError } from './start-error.js';
import { STATE_LOST_CODE } from './state-watch.js';
import { endStaleTmuxWindows } from '../runners/tmux/leftovers.js';
import { defaultTmuxSocket } from '../runners/tmux/tmux-command.js';
import type { StartDaemonOptions } from './types.js';
import { checkInitialSelection, createSelectionHolder, type SelectionHolder } from './selection.js';
import { SelectionError } from '../supervisor/selection.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Everything a daemon is made of, built in dependency order and not yet
 * reachable: nothing listens, no component runs, no watcher or timer is on.
 * `stack` releases what was built, last first; `serve` (serve.ts) makes it
 * reachable.
 */
export async function buildDaemon(opts: StartDaemonOptions) {
  const prepared = await prepare(opts);
  const { configPath, where, pluginHost, loaded, stateDir, paths, logger, logSink, stack, processHooks } = prepared;
  let current: CorralConfig = loaded.config;
  const token = ensureToken(stateDir);
  const { store, bus } = await openBus(prepared);
  // `[corral] restarted (cause)` in a component's log each time corral starts it again.
  stack.push({ what: 'stop noting restarts', run: noteRestarts(bus, (name, line) => pluginHost.note(name, line)) });
  // Hook decisions (hooks:) and notifications (notify:): self-contained, told of each reload, ended at shutdown.
  const hookGate = createHookGate(current.hooks, (type, payload) => void publishOwn(bus, type, payload));
  const notifications = startNotifications({ bus, config: current, configDir: dirname(configPath), logger });
  stack.push({ what: 'stop the notifications', run: () => notifications.dispose() });

  // What `corral up NAME... --profile P` asked to run (checked against the config in prepare()); held until the next `up`.
  const selection = createSelectionHolder(opts.selection, () => current, () => supervisor);
  const groups = createGroupRecorder(stateDir, logger);
  // What the last shutdown step left running (stopAll's `blocked`), for the group record.
  const outcome = { blocked: [] as string[] };
  stack.push({ what: 'record the process groups', run: () => groups.close(outcome.blocked.length === 0) });
  const supervisor = createSupervisor({
    bus,
    config: current,
    resolveLifecycle: (name, component) => pluginHost.createLifecycle({ name, component, bus, stateDir, logger, config: current }),
    onGroupsChanged: (g) => groups.set(g),
    logger,
    // Relative `cwd`s (exec probes, `watch` paths) are the config directory's, as the runners' are.
    configDir: dirname(configPath),
    selected: (name) => selection.selected(name),
  });
  // The last resource samples of each component, for the dashboard's sparklines.
  const samples = createSampleHistory();
  // Federation (federation:): started by serve(), restarted by a reload that changes it. The controller comes last.
  const control = { controller: null as Controller | null };
  const federation = createFederationHolder({ bus, store, configDir: dirname(configPath), logger, list: () => control.controller?.list() ?? [], controller: () => control.controller });
  const endpoint = createBusEndpoint({
    bus,
    dashboard: { samples, logsDir: paths.logs, redact: () => current.bus.redact },
    hooks: hookGate,
    notifier: notifications,
    federation: federation.view,
    store,
    token,
    heartbeat: () => supervisor.statuses(),
    logger,
    version: opts.version,
    configPath,
    onAddress: (host, port, url) => {
      where.url = url;
      // daemon.json follows a bus that a reload moved (serve() writes the first one, last).
      if (where.info) writeDaemonInfo(stateDir, Object.assign(where.info, { host, port }));
    },
  });
  stack.push({ what: 'close the bus', run: () => endpoint.close() });
  // Held hook decisions are answered (their default) before the bus closes, so no request keeps it open.
  stack.push({ what: 'answer the pending hook decisions', run: () => hookGate.close() });
  const monitor = createResourceMonitor({
    bus,
    interval: current.resources.interval,
    samples: current.resources.samples,
    enabled: current.resources.enabled,
    getTargets: () => resourceTargets(current, supervisor),
    onRestart: (name, cause) => supervisor.autoRestart(name, cause),
    self: () => ({ active_connections: endpoint.listening?.clientCount() ?? 0, event_queue_size: (endpoint.listening?.backlog() ?? 0) + store.pending() }),
    setSample: (name, metrics) => {
      supervisor.setSample(name, metrics);
      samples.record(name, metrics);
    },
    // The daemon is judged by the ecosystem-wide settings, like a component that sets none.
    selfTarget: () => selfTarget(current),
    onError: (err, component) => logger.warn(`resource sampling${component ? ` of ${component}` : ''} failed: ${(err as Error).message}`),
  });

  const reloader = createReloader({
    configPath,
    initial: loaded as Extract<LoadResult, { ok: true }>,
    bus,
    logger,
    resolvePluginSchema: pluginHost.resolveSchema,
    applyBus: (next, plan) => endpoint.apply(next, current, plan.bus.changed, plan.bus.rebind),
    apply: async (next, plan, busApplied) => {
      const previous = current;
      // What runs is what `current` says: unapplied bus settings stay the old ones, so a later save retries them.
      current = busApplied ? next : { ...next, bus: previous.bus };
      await applyReload({ pluginHost, hookGate, notifications, logSink, supervisor, monitor, samples, federation }, previous, next, plan);
    },
  });

  const { serving, done, shutdown } = createShutdown(logger, stack, outcome);
  const controller = createController(supervisor, reloader, () => current, shutdown, selection);
  control.controller = controller;

  return {
    opts,
    leftovers: prepared.leftovers,
    configPath,
    stateDir,
    paths,
    token,
    get config() {
      return current;
    },
    logger,
    logSink,
    store,
    bus,
    pluginHost,
    groups,
    supervisor,
    monitor,
    reloader,
    controller,
    endpoint,
    federation,
    stack,
    outcome,
    processHooks,
    where,
    serving,
    done,
    shutdown,
  };
}

/** The config (loaded and checked), the state directory claimed, the daemon's log, and the stack that will release them. */
async function prepare(opts: StartDaemonOptions) {
  const { configPath } = opts;
  const configDir = dirname(configPath);
  // Where the bus is served (set when it listens, and when a reload moves it).
  const where = { url: '', info: null as DaemonInfo | null };
  let stateDir = '';
  // What the components' log sinks take in: the adaptive JIT's other measure of load.
  const logLoad = createLogLoad();
  const pluginHost = createPluginHost({
    configPath,
    configDir,
    logLoad,
    // CORRAL_URL is where the bus was when the component started; a client that reads
    // CORRAL_STATE_DIR/daemon.json on each reconnect (corral's own does) follows it when it moves.
    baseEnv: () => ({ CORRAL_URL: where.url, CORRAL_CONFIG: configPath, CORRAL_STATE_DIR: stateDir }),
  });
  const loaded = withReplicas(withPortOverride(await loadConfig(configPath, { resolvePluginSchema: pluginHost.resolveSchema })));
  if (!loaded.ok) {
    const lines = loaded.errors.map((e) => `${configPath}${e.line ? `:${e.line}:${e.column ?? 1}` : ''}${e.path ? ` ${e.path}` : ''}: ${e.message}`);
    throw new DaemonStartError(`invalid config:\n${lines.join('\n')}`, 2);
  }
  const current: CorralConfig = loaded.config;
  try {
    if (opts.selection) checkInitialSelection(current, opts.selection);
  } catch (err) {
    if (err instanceof SelectionError) throw new DaemonStartError(err.message, 2);
    throw err;
  }
  pluginHost.setPluginDirs(current.plugin_dirs);
  stateDir = ensureDir(stateDirFor(configPath, current.state_dir));
  const paths = statePaths(stateDir);
  ensureDir(paths.logs);
  checkStateDir(stateDir, configPath, current);

  const logSink = createLogSink({ dir: paths.logs, name: 'corral', maxSize: current.logs.max_size, maxFiles: current.logs.max_files });
  const logger = createLogger((line) => {
    logSink.write('out', line);
    opts.echoLog?.(line);
  });
  // An unset ${VAR} (src/config/env.ts): the config runs, but the daemon's log says where.
  for (const w of loaded.warnings) logger.warn(`config ${configPath}${w.line ? `:${w.line}:${w.column ?? 1}` : ''}${w.path ? ` ${w.path}` : ''}: ${w.message}`);
  const stack = new DisposerStack((what, err) => logger.error(`shutdown: ${what} failed: ${(err as Error).message}`));
  stack.push({ what: 'close the daemon log', run: () => logSink.close() });
  // Signal handlers go on in serve() and off last of all: a second Ctrl-C during the shutdown must not kill it half-way.
  const processHooks = { remove: () => {} };
  stack.push({ what: 'remove the signal handlers', run: () => processHooks.remove() });
  stack.push({ what: 'remove daemon.json', run: () => removeDaemonInfo(paths.daemon) });
  let leftovers: LeftoversEndedPayload;
  try {
    leftovers = await endLeftovers(stateDir, logger, opts.handleSignals === true);
  } catch (err) {
    await stack.dispose();
    throw err;
  }

  return { configPath, where, pluginHost, loaded, stateDir, paths, logger, logSink, stack, processHooks, logLoad, leftovers };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/** The event store (checked, a damaged one moved aside) and the bus over it; the JIT that watches its rate. */
async function openBus(p: Prepared) {
  const { paths, stack, logger, pluginHost, logLoad } = p;
  const current = p.loaded.config;
  let opened: ReturnType<typeof openCheckedStore>;
  try {
    opened = openCheckedStore({ file: paths.events, retention: current.bus.retention });
  } catch (err) {
    await stack.dispose();
    if (err instanceof StoreOpenError) throw new DaemonStartError(err.message, 1);
    throw new DaemonStartError(`cannot open the event store ${paths.events}: ${(err as Error).message}`, 1);
  }
  const store = createStoreHandle(opened.store);
  stack.push({ what: 'close the event store', run: async () => (await store.flush().catch(() => undefined), store.close()) });
  const sessionId = `corral_${Date.now()}_${randomUUID().slice(0, 8)}`;
  // With federation on, every event carries its host (local ones this daemon's).
  const bus = createBus({ store, redact: current.bus.redact, sessionId, ...(current.federation ? { host: current.federation.host } : {}) });
  if (p.leftovers.components.length > 0 || p.leftovers.tmux_windows > 0) publishOwn(bus, 'component.leftovers_ended', p.leftovers);
  if (opened.recovered) {
    const { reason, movedTo } = opened.recovered;
    const message = `the event store ${paths.events} was damaged (${reason}); it was moved to ${movedTo} and corral started a new, empty one`;
    logger.error(message);
    bus.publishError({ error_code: STATE_LOST_CODE, error_message: message, component: 'corral', severity: 'error', context: { file: paths.events, moved_to: movedTo, reason } });
  }
  // Interpreter-only while quiet (small), compilers on once the bus or the logs are busy (fast).
  const jit = startAdaptiveJit({
    seq: () => bus.lastSeq(),
    logs: logLoad,
    onEnable: (rate, compilers, logRate) => {
      const what = rate >= BUSY_EVENTS_PER_SECOND ? `the bus is busy (${rate} events/s)` : `the logs are busy (${(logRate / 1e6).toFixed(1)} MB/s of output)`;
      logger.info(`${what}: V8's compilers are on for the rest of this run (${compilers.join(' ')})`);
    },
  });
  stack.push({ what: 'stop the adaptive JIT', run: () => jit.stop() });
  stack.push({ what: 'dispose of the plugins', run: () => pluginHost.disposeAll() });

  return { store, bus };
}

export type BuiltDaemon = Awaited<ReturnType<typeof buildDaemon>>;

/** The parts of the daemon a reload tells of the new config. */
interface ReloadTargets {
  pluginHost: PluginHost;
  hookGate: HookGate;
  notifications: Notifications;
  logSink: LogSink;
  supervisor: Supervisor;
  monitor: ResourceMonitor;
  samples: SampleHistory;
  federation: FederationHolder;
}

/** Applies a reloaded config (all but the bus, which the endpoint applies first) to each part of the daemon. */
async function applyReload(t: ReloadTargets, previous: CorralConfig, next: CorralConfig, plan: ReloadPlan): Promise<void> {
  const { pluginHost, monitor, samples } = t;
  pluginHost.setPluginDirs(next.plugin_dirs);
  t.hookGate.apply(next.hooks);
  t.notifications.apply(next);
  pluginHost.applyLogSettings(next);
  t.logSink.setLimits?.({ maxSize: next.logs.max_size, maxFiles: next.logs.max_files });
  await t.supervisor.applyPlan(next, plan);
  for (const name of plan.removed) {
    monitor.forget(name);
    samples.forget(name);
  }
  // Gone from the file (not `enabled: false`, which keeps it listed), now or since it was disabled: its log is closed.
  for (const name of pluginHost.names()) if (!next.components[name]) await pluginHost.forget(name);
  if (next.resources.interval !== previous.resources.interval) monitor.setInterval(next.resources.interval);
  if (next.resources.enabled !== previous.resources.enabled) monitor.setEnabled(next.resources.enabled);
  await t.federation.apply(next.federation);
}

/** The daemon's one shutdown (a second call gets the first one's promise), and `done`, settled once it has run. */
function createShutdown(logger: ReturnType<typeof createLogger>, stack: DisposerStack, outcome: { blocked: string[] }) {
  // The shutdown waits for serve() to finish (a `corral down` may come while it replays the spool): the stack is then complete.
  const serving = { done: Promise.resolve() as Promise<unknown> };
  let stopping: Promise<{ blocked: string[] }> | null = null;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const shutdown = (reason = 'shutdown'): Promise<{ blocked: string[] }> =>
    (stopping ??= (async () => {
      await serving.done.catch(() => undefined);
      logger.info(`shutting down (${reason})`);
      await stack.dispose();
      resolveDone();
      return { blocked: outcome.blocked };
    })());
  return { serving, done, shutdown };
}

/** What the API controls: the components (through the supervisor), a reload, the shutdown. */
function createController(
  supervisor: Supervisor,
  reloader: Reloader,
  config: () => CorralConfig,
  shutdown: (reason: string) => Promise<unknown>,
  selection: SelectionHolder,
): Controller {
  const eachReplica = async (name: string, act: (name: string) => Promise<void>): Promise<void> => {
    await Promise.all((replicasOf(config().components, name) ?? [name]).map(act));
  };
  return {
    list: () =>
      supervisor.list().map((c) => {
        const base = replicaBase(config().components, c.name);
        return base === undefined ? c : { ...c, replica_of: base };
      }),
    statuses: () => supervisor.statuses(),
    // The name of an entry with `replicas` means all of its replicas.
    start: (name) => eachReplica(name, (n) => supervisor.start(n)),
    stop: (name) => eachReplica(name, (n) => supervisor.stop(n)),
    restart: (name) => eachReplica(name, (n) => supervisor.restart(n)),
    reload: () => reloader.reload('api'),
    up: (wanted) => selection.up(wanted),
    down: (names) => selection.down(names),
    // The HTTP answer goes out first; the shutdown runs right after it.
    shutdown: async () => void setImmediate(() => void shutdown('corral down')),
  };
}

/** Refuses a state directory another config's daemon holds, a second daemon of this config, and an unguarded non-loopback bus. */
function checkStateDir(stateDir: string, configPath: string, config: CorralConfig): void {
  // Another config's daemon holds this state directory (two configs in one directory): touch nothing of it.
  const owner = stateDirOwner(stateDir, configPath);
  if (owner) throw new DaemonStartError(describeStateDirOwner(stateDir, configPath, owner), 2);
  const previous = readDaemonInfo(stateDir);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid) && isCorralProcess(previous.pid)) {
    throw new DaemonStartError(`corral is already running for this config (pid ${previous.pid}, port ${previous.port}); use \`corral down\` first`, 1);
  }
  if (!LOOPBACK.has(config.bus.host) && config.bus.auth !== 'required') {
    throw new DaemonStartError(`bus.host ${config.bus.host} is not a loopback address: set bus.auth: required to bind it (every client then needs the token)`, 2);
  }
}

/** A daemon that died left process groups and tmux windows: end them before anything binds a port, and say what they were. */
async function endLeftovers(stateDir: string, logger: ReturnType<typeof createLogger>, ownTmuxServer: boolean): Promise<LeftoversEndedPayload> {
  if (ownTmuxServer) {
    // Each project's tmux components live on a tmux server of their own (`tmux -L corral-<id>`), so two
    // corrals on one machine never see, reuse or kill each other's sessions. (Tests set their own socket.)
    process.env.CORRAL_TMUX_SOCKET ||= `corral-${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}`;
  }
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
  return { components: ended, tmux_windows: closed };
}

/** Removes daemon.json when it is this process's (a daemon of another config may have claimed the directory since). */
function removeDaemonInfo(file: string): void {
  try {
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as DaemonInfo;
    if (onDisk.pid === process.pid) rmSync(file, { force: true });
  } catch {}
}

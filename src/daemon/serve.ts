import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { replaySpool, spoolTargets, type SpoolRecord } from '../bus/spool.js';
import { resolveHookName } from '../bus/hook-name.js';
import { installPluginSafetyNet } from '../plugins/safety-net.js';
import { fallbackStateDir, writeDaemonInfo, type DaemonInfo } from './paths.js';
import { watchStateDir } from './state-watch.js';
import type { BuiltDaemon } from './build.js';
import type { Daemon } from './types.js';

/**
 * Makes a built daemon reachable: the bus listens (every operation of the
 * control API has what it needs by now), spooled hooks are replayed, the
 * monitor, the components, the config watcher and the signal handlers start,
 * and daemon.json is written last: whoever finds it finds a daemon that
 * serves everything. Each step that acquires something puts its release on
 * the daemon's stack; a failure releases what was built and rethrows.
 */
export async function serveDaemon(b: BuiltDaemon): Promise<Daemon> {
  const run = steps(b);
  b.serving.done = run;
  try {
    return await run;
  } catch (err) {
    await b.stack.dispose();
    throw err;
  }
}

async function steps(b: BuiltDaemon): Promise<Daemon> {
  const { opts, logger, supervisor, stack } = b;
  const server = await b.endpoint.listen(b.config, b.controller);
  await replaySpools(b, server.port);

  // Federation: connects in the background (NATS may be down: the daemon works alone meanwhile). Closed after the components stopped.
  b.federation.start(b.config.federation);
  stack.push({ what: 'close the federation link', run: () => b.federation.close() });
  b.monitor.start();
  stack.push({ what: 'stop the resource monitor', run: () => b.monitor.stop() });
  // A save right after `up` returns must not be missed: wait until the watcher sees changes.
  try {
    await b.reloader.watch();
  } catch (err) {
    await b.reloader.close();
    throw err;
  }
  // From here on nothing waits, so no event of the components' start comes before startDaemon returns.
  // Components start in the background: the API answers while they come up.
  void supervisor.startAll().catch((err: unknown) => logger.error(`starting components failed: ${(err as Error).message}`));
  stack.push({
    what: 'stop the components',
    run: async () => {
      const result = await supervisor.stopAll(opts.downDeadlineMs ?? 60_000);
      b.outcome.blocked = result.blocked;
      if (result.blocked.length > 0) logger.error(`down deadline passed; still stopping: ${result.blocked.join(', ')}`);
    },
  });
  // Closed first at shutdown: a save while the components stop must not start them again.
  stack.push({ what: 'stop the config watcher', run: () => b.reloader.close() });

  if (opts.handleSignals) installSignals(b);

  const info: DaemonInfo = { pid: process.pid, host: b.config.bus.host, port: server.port, started_at: Date.now(), version: opts.version, config: b.configPath };
  const watch = watchStateDir({
    stateDir: b.stateDir,
    token: b.token,
    info: () => info,
    store: b.store,
    retention: () => b.config.bus.retention,
    bus: b.bus,
    logger,
    rewriteGroups: () => b.groups.flush(),
    reopenLogs: () => {
      b.logSink.reopen?.();
      b.pluginHost.reopenLogs();
    },
    intervalMs: opts.stateCheckMs,
  });
  stack.push({ what: 'stop watching the state directory', run: () => watch.stop() });
  logger.info(`listening on ${server.url}`, { state_dir: b.stateDir, components: Object.keys(b.config.components).length });
  b.where.info = info;
  // Last: daemon.json is how `corral up -d` and every client learn that the daemon serves.
  writeDaemonInfo(b.stateDir, info);

  return {
    get config() {
      return b.config;
    },
    configPath: b.configPath,
    stateDir: b.stateDir,
    bus: b.bus,
    get server() {
      return b.endpoint.server;
    },
    supervisor,
    controller: b.controller,
    info,
    leftovers: b.leftovers,
    done: b.done,
    shutdown: b.shutdown,
  };
}

/** SIGINT/SIGTERM shut down, SIGHUP reloads; a plugin's stray error is logged and contained (safety-net.ts). */
function installSignals(b: BuiltDaemon): void {
  const onSignal = (sig: NodeJS.Signals) => void b.shutdown(sig);
  const onHup = () => void b.reloader.reload('SIGHUP');
  // Anything but a plugin's error ends the daemon, and its groups with it.
  const removeSafetyNet = installPluginSafetyNet(b.logger, () => {
    for (const c of b.supervisor.list()) {
      for (const pgid of b.supervisor.pidsOf(c.name)) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {}
      }
    }
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHup);
  b.processHooks.remove = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHup);
    removeSafetyNet();
  };
}

/**
 * Hooks that arrived while no daemon ran: all of this project's, and those of
 * the shared spool (hooks run outside any project) that were meant for this
 * daemon's address; the others wait there for theirs.
 */
async function replaySpools(b: BuiltDaemon, port: number): Promise<void> {
  const { logger } = b;
  const cfg = b.config;
  const sharedSpool = join(fallbackStateDir(), 'spool');
  for (const dir of [b.paths.spool, sharedSpool]) {
    if (!existsSync(dir)) continue;
    const ours = dir === sharedSpool ? (r: SpoolRecord) => spoolTargets(r.url, cfg.bus.host, port) : undefined;
    // Hooks older than the bus keeps events are dropped, whoever they were meant for: the shared spool would
    // otherwise keep for ever those of an address where no corral runs.
    const replayed = await replaySpool(dir, (input) => b.bus.publish(input), ours, { maxAgeMs: cfg.bus.retention.age, resolveName: resolveHookName });
    if (replayed.replayed > 0 || replayed.skipped.length > 0) {
      logger.info(`replayed spooled hooks from ${dir}`, { published: replayed.replayed, skipped: replayed.skipped.length });
    }
    for (const skip of replayed.skipped.slice(0, 10)) logger.warn(`spooled hook not replayed (${skip.file}:${skip.line}): ${skip.reason}`);
    if (replayed.expired > 0) {
      logger.info(`dropped ${replayed.expired} spooled hook${replayed.expired === 1 ? '' : 's'} older than bus.retention.age (${+(cfg.bus.retention.age / 86_400_000).toFixed(2)} days) from ${dir}`, { expired: replayed.expired });
    }
  }
}

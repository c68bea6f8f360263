export type { Daemon, StartDaemonOptions } from './types.js';
import type { Daemon, StartDaemonOptions } from './types.js';
import { buildDaemon } from './build.js';
import { serveDaemon } from './serve.js';

export { DaemonStartError } from './start-error.js';

/**
 * Starts the daemon in two steps. `buildDaemon` (build.ts) makes everything in
 * dependency order (state directory, store, bus, plugin host, supervisor,
 * bus endpoint, resource monitor, reloader) with nothing reachable yet;
 * `serveDaemon` (serve.ts) then listens, starts the components and the
 * watchers, and writes daemon.json last. Every acquired resource is released
 * by one last-in-first-out stack, at shutdown or when a step fails.
 */
export async function startDaemon(opts: StartDaemonOptions): Promise<Daemon> {
  return serveDaemon(await buildDaemon(opts));
}

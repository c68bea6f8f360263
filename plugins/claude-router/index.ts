import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { definePlugin } from '../../src/index.js';
import { findExecutable, programOf } from './find-executable.js';
import { probeRouter } from './probe.js';
import { diffRoutes, readRoutes, type Routes } from './router-config.js';

/** How to install claude-code-router, named in the error when `ccr` is missing. */
export const INSTALL_COMMAND = 'npm install -g @musistudio/claude-code-router';
const DEFAULT_PORT = 3456;

const ConfigSchema = z.strictObject({
  /** The router's port; default: `PORT` from its config.json, else 3456. */
  port: z.number().int().min(1).max(65535).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  /** claude-code-router's config file, watched for route changes (default ~/.claude-code-router/config.json). */
  config_path: z.string().min(1).optional(),
  /** How often the config file is checked for changes, in ms. */
  watch_interval_ms: z.number().int().positive().default(1000),
  /** Timeout of one health request, in ms. */
  health_timeout_ms: z.number().int().positive().default(2000),
});

/** What changes when the file is written or replaced (or '' when it does not exist). */
function statStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

/**
 * claude-router: runs claude-code-router (`ccr start`, or the component's
 * `command`), checks its health on its port and publishes
 * `router.model.switch` whenever a route in its config file changes.
 */
export default definePlugin({
  name: 'claude-router',
  version: '0.1.0',
  corral: '>=0.1.0',
  configSchema: ConfigSchema,
  create(ctx, config) {
    const env = { ...process.env, ...ctx.component.env };
    const home = env.HOME || homedir();
    const configPath = config.config_path ? resolve(ctx.configDir, config.config_path.replace(/^~(?=\/|$)/, home)) : join(home, '.claude-code-router', 'config.json');
    const command = ctx.component.command ?? 'ccr start';
    const run = ctx.runOptions({ command });

    // Stamped before the first read, so a write racing the read is seen by the first poll.
    let stamp = statStamp(configPath);
    let routes: Routes | null = null;
    let port = config.port ?? DEFAULT_PORT;
    const first = readRoutes(configPath);
    if (first.ok) {
      routes = first.routes;
      port = config.port ?? first.port ?? DEFAULT_PORT;
    } else if (!first.missing) {
      ctx.logger.warn(`cannot read the router config: ${first.message}`);
    }

    // The config file is the one place both the user and the router's own UI
    // (`ccr ui`, POST /api/config) write routes to, so watching it sees every
    // switch whoever makes it. Polling (stat) survives editors that replace the file.
    const check = () => {
      const next = readRoutes(configPath);
      if (!next.ok && !next.missing) {
        ctx.logger.warn(`cannot read the router config: ${next.message}`);
        return;
      }
      const after = next.ok ? next.routes : null;
      if (next.ok && config.port === undefined && next.port !== undefined) port = next.port;
      for (const change of diffRoutes(routes, after)) {
        ctx.publish({ event_type: 'router.model.switch', payload: { ...change, config_path: configPath } });
      }
      routes = after;
    };
    // Own polling rather than fs.watchFile: watchFile takes its first stat
    // asynchronously and misses a change made before it, while this compares
    // against the routes read at create.
    const timer = setInterval(() => {
      const next = statStamp(configPath);
      if (next === stamp) return;
      stamp = next;
      check();
    }, config.watch_interval_ms);
    timer.unref();
    const unwatch = () => clearInterval(timer);
    ctx.signal.addEventListener('abort', unwatch, { once: true });

    return {
      async start() {
        const program = programOf(command);
        if (!findExecutable(program, env.PATH, run.cwd!)) {
          const hint = program === 'ccr' ? `; install it with: ${INSTALL_COMMAND}` : '';
          throw new Error(`claude-router: "${program}" was not found${program.includes('/') ? '' : ' on PATH'}${hint}`);
        }
        return ctx.runners.process(run);
      },
      health: () => probeRouter(config.host, port, config.health_timeout_ms),
      async dispose() {
        unwatch();
      },
    };
  },
});

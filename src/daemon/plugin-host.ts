import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Bus } from '../bus/types.js';
import type { CorralConfig, ComponentConfig } from '../config/schema.js';
import type { ComponentLifecycle, Logger, Runners } from '../plugins/types.js';
import type { LogSink } from '../logs/types.js';
import type { LogLoad } from '../logs/load.js';
import { createLogSink } from '../logs/index.js';
import { getPluginSchema, loadPlugin, type PluginLookup } from '../plugins/loader.js';
import { createLifecycle } from '../plugins/context.js';
import { pluginKeysOf } from '../plugins/plugin-config.js';
import { runProcess } from '../runners/process/index.js';
import { runTmux } from '../runners/tmux/run-tmux.js';
import { runPty } from '../runners/pty/index.js';
import { createLogger } from './logger.js';
import { statePaths } from './paths.js';

export interface PluginHostOptions {
  configPath: string;
  configDir: string;
  /**
   * Variables every component gets (under its own `env`): where the bus is
   * (`CORRAL_URL`), so a component finds it on any port, and the state
   * directory (`CORRAL_STATE_DIR`), whose daemon.json corral's client re-reads
   * on every reconnect to follow the bus when a reload moves it.
   */
  baseEnv?: () => Record<string, string>;
  /** Where every component's log sink counts the output it takes in (the daemon's adaptive JIT reads it). */
  logLoad?: LogLoad;
}

export interface CreateComponentOptions {
  name: string;
  component: ComponentConfig;
  bus: Bus;
  stateDir: string;
  logger: Logger;
  config: CorralConfig;
}

/**
 * The daemon's side of plugins: finds them (for config validation and for
 * running), gives each component its own log sink and runners, and disposes
 * of every lifecycle last-in first-out at shutdown.
 */
export function createPluginHost(opts: PluginHostOptions) {
  let pluginDirs: string[] | null = null;
  const live: { name: string; lifecycle: ComponentLifecycle }[] = [];
  const sinks = new Map<string, LogSink>();

  const lookup = (): PluginLookup => ({ configDir: opts.configDir, pluginDirs: pluginDirs ?? readPluginDirs(opts.configPath) });

  function sinkFor(name: string, stateDir: string, config: CorralConfig, component: ComponentConfig): LogSink {
    let sink = sinks.get(name);
    if (!sink) {
      sink = createLogSink({
        dir: statePaths(stateDir).logs,
        name,
        maxSize: component.logs?.max_size ?? config.logs.max_size,
        maxFiles: component.logs?.max_files ?? config.logs.max_files,
        load: opts.logLoad,
      });
      sinks.set(name, sink);
    }
    return sink;
  }

  return {
    setPluginDirs(dirs: string[]) {
      pluginDirs = dirs;
    },
    /** For the config loader: the schema of a plugin's own keys (throws with the reason when it cannot load). */
    resolveSchema: async (plugin: string, _component?: string, ctx?: { pluginDirs: string[] }) => getPluginSchema(plugin, ctx ? { configDir: opts.configDir, pluginDirs: ctx.pluginDirs } : lookup()),
    async createLifecycle(o: CreateComponentOptions): Promise<ComponentLifecycle> {
      const plugin = await loadPlugin(o.component.plugin, lookup());
      const logs = sinkFor(o.name, o.stateDir, o.config, o.component);
      const withEnv = <R extends { env?: Record<string, string> }>(r: R): R => {
        const base = { ...opts.baseEnv?.() };
        // A component given its own CORRAL_URL keeps it: no state directory to follow elsewhere.
        if (r.env?.CORRAL_URL !== undefined && r.env.CORRAL_STATE_DIR === undefined) delete base.CORRAL_STATE_DIR;
        return { ...r, env: { ...base, CORRAL_COMPONENT: o.name, ...r.env } };
      };
      const runners: Runners = {
        process: (r) => runProcess({ ...withEnv(r), logs }),
        pty: (r) => runPty({ ...withEnv(r), logs, stateDir: o.stateDir }),
        tmux: (r) => runTmux(withEnv(r)),
      };
      const logger = createLogger((line) => logs.write('err', `[corral] ${line}`), o.name);
      const lifecycle = await createLifecycle({
        name: o.name,
        component: o.component,
        plugin,
        pluginConfig: pluginKeysOf(o.component as Record<string, unknown>),
        bus: o.bus,
        stateDir: o.stateDir,
        configDir: opts.configDir,
        logger,
        runners,
      });
      live.push({ name: o.name, lifecycle });
      void o.logger;
      return lifecycle;
    },
    /** Disposes of one component's lifecycle (it was removed from the config). */
    async dispose(name: string) {
      for (let i = live.length - 1; i >= 0; i--) {
        if (live[i]!.name !== name) continue;
        const [entry] = live.splice(i, 1);
        await entry!.lifecycle.dispose?.().catch(() => undefined);
      }
      await sinks.get(name)?.close();
      sinks.delete(name);
    },
    /** Disposes of every lifecycle, last created first, then closes the log files. */
    async disposeAll() {
      while (live.length > 0) {
        const entry = live.pop()!;
        await entry.lifecycle.dispose?.().catch(() => undefined);
      }
      await Promise.all([...sinks.values()].map((s) => s.close()));
      sinks.clear();
    },
  };
}

export type PluginHost = ReturnType<typeof createPluginHost>;

/** The config's `plugin_dirs`, read before the config is validated (plugins are needed to validate it). */
function readPluginDirs(configPath: string): string[] {
  try {
    const text = readFileSync(configPath, 'utf8');
    const raw = (configPath.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as { plugin_dirs?: unknown };
    return Array.isArray(raw?.plugin_dirs) ? raw.plugin_dirs.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

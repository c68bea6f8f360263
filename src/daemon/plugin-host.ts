import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Bus } from '../bus/types.js';
import type { CorralConfig, ComponentConfig } from '../config/schema.js';
import type { BuiltinRunners, ComponentLifecycle, Logger } from '../plugins/types.js';
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

/** What the plugin host keeps for one component: its log file, and the lifecycle of its current config. */
interface Entry {
  sink: LogSink;
  lifecycle: ComponentLifecycle | null;
}

/** The rotation limits of a component's log: its own `logs:` over the config's. */
function logLimits(config: CorralConfig, component: ComponentConfig | undefined) {
  return { maxSize: component?.logs?.max_size ?? config.logs.max_size, maxFiles: component?.logs?.max_files ?? config.logs.max_files };
}

/**
 * The daemon's side of plugins: finds them (for config validation and for
 * running), and owns one `{lifecycle, sink}` per component: its log sink
 * (one file for the component's whole life, its limits following reloads)
 * and the lifecycle of its current config (a restart for a changed config
 * replaces it, so nothing accumulates). `forget` closes a removed
 * component's; `disposeAll` every one at shutdown.
 */
export function createPluginHost(opts: PluginHostOptions) {
  let pluginDirs: string[] | null = null;
  const entries = new Map<string, Entry>();

  const lookup = (): PluginLookup => ({ configDir: opts.configDir, pluginDirs: pluginDirs ?? readPluginDirs(opts.configPath) });

  function entryFor(name: string, stateDir: string, config: CorralConfig, component: ComponentConfig): Entry {
    let entry = entries.get(name);
    if (!entry) {
      entry = { sink: createLogSink({ dir: statePaths(stateDir).logs, name, ...logLimits(config, component), load: opts.logLoad }), lifecycle: null };
      entries.set(name, entry);
    }
    return entry;
  }

  return {
    setPluginDirs(dirs: string[]) {
      pluginDirs = dirs;
    },
    /** For the config loader: the schema of a plugin's own keys (throws with the reason when it cannot load). */
    resolveSchema: async (plugin: string, _component?: string, ctx?: { pluginDirs: string[] }) => getPluginSchema(plugin, ctx ? { configDir: opts.configDir, pluginDirs: ctx.pluginDirs } : lookup()),
    async createLifecycle(o: CreateComponentOptions): Promise<ComponentLifecycle> {
      const plugin = await loadPlugin(o.component.plugin, lookup());
      const entry = entryFor(o.name, o.stateDir, o.config, o.component);
      const logs = entry.sink;
      const withEnv = <R extends { env?: Record<string, string> }>(r: R): R => {
        const base = { ...opts.baseEnv?.() };
        // A component given its own CORRAL_URL keeps it: no state directory to follow elsewhere.
        if (r.env?.CORRAL_URL !== undefined && r.env.CORRAL_STATE_DIR === undefined) delete base.CORRAL_STATE_DIR;
        return { ...r, env: { ...base, CORRAL_COMPONENT: o.name, ...r.env } };
      };
      const runners: BuiltinRunners = {
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
      // The component disposed of the lifecycle it replaces (a restart for a changed config); disposing
      // is idempotent, so one left undisposed by a failed start is released here.
      const previous = entry.lifecycle;
      entry.lifecycle = lifecycle;
      if (previous && previous !== lifecycle) await previous.dispose?.().catch(() => undefined);
      return lifecycle;
    },
    /** A line of corral's own (`[corral] …`) in a component's log, when it has one. */
    note(name: string, line: string) {
      entries.get(name)?.sink.write('err', `${line}\n`);
    },
    /** Components that have a log sink (started at least once since they entered the config). */
    names(): string[] {
      return [...entries.keys()];
    },
    /** A component left the config: disposes of its lifecycle and closes its log. */
    async forget(name: string) {
      const entry = entries.get(name);
      if (!entry) return;
      entries.delete(name);
      await entry.lifecycle?.dispose?.().catch(() => undefined);
      await entry.sink.close();
    },
    /** Applies the config's `logs:` (and each component's own) to every open log, from its next line. */
    applyLogSettings(config: CorralConfig) {
      for (const [name, entry] of entries) entry.sink.setLimits?.(logLimits(config, config.components[name]));
    },
    /** Every log file is opened again before its next line (the state directory was deleted under them). */
    reopenLogs() {
      for (const entry of entries.values()) entry.sink.reopen?.();
    },
    /** Disposes of every lifecycle, last created first, then closes the log files. */
    async disposeAll() {
      const all = [...entries.values()].reverse();
      entries.clear();
      for (const entry of all) await entry.lifecycle?.dispose?.().catch(() => undefined);
      await Promise.all(all.map((e) => e.sink.close()));
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

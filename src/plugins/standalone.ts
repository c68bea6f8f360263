import { resolve } from 'node:path';
import { createBus } from '../bus/bus.js';
import type { Bus } from '../bus/types.js';
import { ComponentSchema } from '../config/schema.js';
import { runProcess } from '../runners/process/index.js';
import { runPty } from '../runners/pty/index.js';
import { runTmux } from '../runners/tmux/run-tmux.js';
import { createLifecycle } from './context.js';
import { loadPlugin } from './loader.js';
import { pluginKeysOf } from './plugin-config.js';
import type { ComponentLifecycle, Logger, PluginDefinition } from './types.js';

/** Options of `createPluginComponent`. */
export interface PluginComponentOptions {
  /** The plugin: its definition, or a reference as a config's `plugin:` key takes it (a name or a path, from `configDir`). */
  plugin: PluginDefinition | string;
  /** The component's entry as written in a config file: core keys (`command`, `env`, ...) beside the plugin's own keys. */
  entry?: Record<string, unknown>;
  /** The component's name (default `test`). */
  name?: string;
  /** The bus the plugin's context publishes on and subscribes to (default: a new in-memory `createBus()`). */
  bus?: Bus;
  /** Where relative paths and plugin names resolve, like the config file's directory (default: the current directory). */
  configDir?: string;
  /** corral's state directory: the plugin's own is `<stateDir>/plugins/<name>/` (default: `<configDir>/.corral`, as for a config). */
  stateDir?: string;
  /** Where the plugin's `ctx.logger` writes (default: nowhere). */
  logger?: Logger;
}

/** A plugin set up as one component, outside a daemon. */
export interface PluginComponent {
  readonly name: string;
  readonly bus: Bus;
  /** What the daemon would drive: `start()` one generation, `health()`, and `dispose()` once at the end. */
  readonly lifecycle: ComponentLifecycle;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Sets a plugin up as one component the way the daemon does, without one: its
 * keys checked by its schema (errors name `components.NAME.KEY`), `create`
 * under its setup timeout, and the real runners (process, pty, tmux) in its
 * context. For a plugin's own tests: subscribe to `bus`, `start()` the
 * lifecycle, and stop the instance and `dispose()` the lifecycle at the end.
 * Rejects, as the daemon would fail the component, when the plugin cannot be
 * found, its keys are invalid, or its setup throws or hangs.
 */
export async function createPluginComponent(opts: PluginComponentOptions): Promise<PluginComponent> {
  const name = opts.name ?? 'test';
  const configDir = resolve(opts.configDir ?? '.');
  const stateDir = resolve(configDir, opts.stateDir ?? '.corral');
  const plugin = typeof opts.plugin === 'string' ? await loadPlugin(opts.plugin, { configDir }) : opts.plugin;
  const entry = { ...opts.entry, plugin: typeof opts.plugin === 'string' ? opts.plugin : plugin.name };
  const core = ComponentSchema.safeParse(entry);
  if (!core.success) {
    const issues = core.error.issues.map((i) => `${['components', name, ...i.path.map(String)].join('.')}: ${i.message}`);
    throw new Error(`component "${name}": invalid entry: ${issues.join('; ')}`);
  }
  const bus = opts.bus ?? createBus();
  const lifecycle = await createLifecycle({
    name,
    component: core.data,
    plugin,
    pluginConfig: pluginKeysOf(entry),
    bus,
    stateDir,
    configDir,
    logger: opts.logger ?? silent,
    runners: { process: (r) => runProcess(r), pty: (r) => runPty({ ...r, stateDir }), tmux: (r) => runTmux(r) },
  });
  return { name, bus, lifecycle };
}


import type { z } from 'zod';
import type { EventFilter } from '../schema/messages.js';
import type { EventInput } from '../schema/events.js';
import type { BusEntry, PublishResult } from '../bus/types.js';
import type { ComponentConfig } from '../config/schema.js';

export type { AttachInfo, ComponentLifecycle, ExitInfo, HealthResult, Instance, Logger, RunOptions, TmuxRunOptions } from '../runners/types.js';
import type { ComponentLifecycle, Instance, Logger, RunOptions, TmuxRunOptions } from '../runners/types.js';

/** The three runners the daemon (or `createPluginComponent`) hands to a plugin's context. */
export interface BuiltinRunners {
  process(opts: RunOptions): Promise<Instance>;
  pty(opts: RunOptions & { cols?: number; rows?: number }): Promise<Instance>;
  tmux(opts: TmuxRunOptions): Promise<Instance>;
}

/** The built-in runners as every plugin sees them in `ctx.runners`. */
export interface Runners extends BuiltinRunners {
  /**
   * Removes a tmux session (windows opened by hand included), for a plugin's
   * `dispose` at `corral down` unless its config keeps the session. What
   * still runs in its panes gets SIGTERM, then SIGKILL; when it was the
   * server's last session, the server's socket file is removed. Resolves
   * false when there was none. Always present in a plugin's `ctx.runners`.
   */
  tmuxKillSession(session: string, socket?: string): Promise<boolean>;
}

/** What a plugin gets: its logger, the bus, the runners and its state directory. */
export interface PluginContext {
  /** The component's name in the config. */
  readonly name: string;
  /** The component's core config (command, env, cwd, ...) after defaults. */
  readonly component: ComponentConfig;
  /** Directory of the config file; relative paths resolve against it. */
  readonly configDir: string;
  /** The plugin's own state directory (created on demand). */
  readonly stateDir: string;
  readonly logger: Logger;
  /** Publish an event; `source` defaults to the component name and `session_id` to corral's. */
  publish(event: Partial<EventInput> & { event_type: string }): PublishResult;
  subscribe(filter: EventFilter, listener: (entry: BusEntry) => void): () => void;
  readonly runners: Runners;
  /**
   * Run options for this component's own command, as the built-in runners
   * take them: `command`, `shell`, `cwd` (resolved against the config
   * file's directory) and `env` from its core keys. `overrides` change any
   * of them: a relative `cwd` resolves against the component's, `env` is
   * added over the component's. Throws, naming the component, when there is
   * no command at all.
   */
  runOptions(overrides?: Partial<RunOptions>): RunOptions;
  /** Aborted when the component is removed or corral shuts down. */
  readonly signal: AbortSignal;
}

/** A plugin: a plain object with a name, a schema for its own config keys and a factory. */
export interface PluginDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  version?: string;
  /**
   * The corral versions the plugin works with, as an npm range (`">=0.1.0"`,
   * `"^0.1.0"`, `"0.x"`): a corral outside it refuses to load the plugin and
   * names both versions. Without it, any corral loads it.
   */
  corral?: string;
  /** Zod schema for the plugin's own keys in a component entry (checked with the config file). */
  configSchema: S;
  /** Milliseconds `create` may take before the component fails with a timeout naming the plugin (default 10 s). */
  setupTimeout?: number;
  create(ctx: PluginContext, config: z.infer<S>): ComponentLifecycle | Promise<ComponentLifecycle>;
}

/** Declares a plugin. Returns it unchanged, typed. */
export function definePlugin<S extends z.ZodType>(plugin: PluginDefinition<S>): PluginDefinition<S> {
  return plugin;
}

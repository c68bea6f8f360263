import type { z } from 'zod';
import type { EventFilter } from '../schema/messages.js';
import type { EventInput } from '../schema/events.js';
import type { BusEntry, PublishResult } from '../bus/types.js';
import type { ComponentConfig } from '../config/schema.js';

/** How one run (one generation) of a component ended. */
export interface ExitInfo {
  /** Exit code, or null when ended by a signal or never started. */
  code: number | null;
  /** Signal that ended it, or null. */
  signal: string | null;
  /** True when corral had to SIGKILL it after the stop timeout. */
  killed?: boolean;
  /** True when the leader ended on its own and members of its group were left behind, so corral SIGKILLed them. */
  orphansKilled?: boolean;
  /** Set when it could not start at all (e.g. ENOENT): the OS error. */
  error?: Error;
}

/** One running generation of a component, as a runner or plugin returns it from `start`. */
export interface Instance {
  /** Main pid (the process group leader for the process runner), or null when there is none. */
  readonly pid: number | null;
  /** What was run, for `component.started`. */
  readonly command: string;
  /** Settles when this generation is over: the main process and its whole group are gone. */
  readonly exited: Promise<ExitInfo>;
  /**
   * Graceful stop: send `signal` (to the whole group), wait up to `timeoutMs`,
   * then SIGKILL the group. Resolves when everything is gone. Idempotent.
   */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo>;
  /** Root pids whose process trees are sampled for resources (usually `[pid]`). */
  pids(): number[];
  /** For pty/tmux components: how `corral attach` reaches it. */
  attach?: AttachInfo;
}

export type AttachInfo =
  | { kind: 'tmux'; socket?: string; session: string; window: string }
  | { kind: 'pty'; socketPath: string };

/** Result of a plugin's own health check. */
export interface HealthResult {
  ok: boolean;
  detail?: string;
}

/** The lifecycle a plugin's `create` returns for one component. */
export interface ComponentLifecycle {
  /** Starts one generation. Throwing (or rejecting) means the start failed. */
  start(): Promise<Instance>;
  /** Optional health check, used when the config has no `health` probe. */
  health?(): Promise<HealthResult>;
  /** Called once when the component is removed or corral shuts down (last-in first-out). */
  dispose?(): Promise<void>;
}

/** Minimal structured logger handed to plugins. */
export interface Logger {
  debug(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

/** Options common to the built-in runners. */
export interface RunOptions {
  /** Component name (used for log files and window names). */
  name: string;
  command: string | string[];
  shell?: boolean;
  cwd?: string;
  env?: Record<string, string>;
}

export interface TmuxRunOptions extends RunOptions {
  session: string;
  window?: string;
  /** tmux server socket name (`tmux -L`); default corral's own. */
  socket?: string;
  /**
   * The component the window belongs to (set by corral for a plugin's
   * windows): marked on the window, so the session's watch names it in the
   * window's events even when it sees the window before its opener returns.
   */
  component?: string;
}

/** The built-in runners, available to every plugin through its context. */
export interface Runners {
  process(opts: RunOptions): Promise<Instance>;
  pty(opts: RunOptions & { cols?: number; rows?: number }): Promise<Instance>;
  tmux(opts: TmuxRunOptions): Promise<Instance>;
  /**
   * Removes a tmux session (windows opened by hand included), for a plugin's
   * `dispose` at `corral down` unless its config keeps the session. What
   * still runs in its panes gets SIGTERM, then SIGKILL; when it was the
   * server's last session, the server's socket file is removed. Resolves
   * false when there was none. Always present in a plugin's `ctx.runners`.
   */
  tmuxKillSession?(session: string, socket?: string): Promise<boolean>;
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
  /** Aborted when the component is removed or corral shuts down. */
  readonly signal: AbortSignal;
}

/** A plugin: a plain object with a name, a schema for its own config keys and a factory. */
export interface PluginDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  version?: string;
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

/**
 * The contracts between the supervisor and what runs a component: the
 * built-in runners and the plugins. They live here, below both the supervisor
 * and the plugin API, so neither has to import the other for them;
 * `src/plugins/types.ts` re-exports them for plugins.
 */

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

export type AttachInfo = { kind: 'tmux'; socket?: string; session: string; window: string } | { kind: 'pty'; socketPath: string };

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

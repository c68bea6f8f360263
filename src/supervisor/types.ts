import type { ComponentStatus } from '../schema/messages.js';
import type { AttachInfo } from '../runners/types.js';
import type { ConfigIssue } from '../config/issues.js';
import { CorralError } from '../errors.js';

/** States of one component's state machine. */
export const COMPONENT_STATES = [
  'pending', // waiting for its dependencies (a start or a crash restart)
  'starting',
  'running', // started, no probe yet passed (or no probe)
  'healthy',
  'unhealthy',
  'stopping',
  'stopped', // stopped on purpose
  'exited', // ended by itself, no restart due (policy)
  'backoff', // waiting to restart
  'failed', // crash loop, start error, or plugin failure; `corral restart` clears it
  'disabled', // enabled: false
  'inactive', // left out by `corral up NAME...` or `--profile`: not started, not asked to be
] as const;
export type ComponentState = (typeof COMPONENT_STATES)[number];

/** One row of `corral ps` / `GET /api/components`. */
export interface ComponentInfo {
  name: string;
  plugin: string;
  state: ComponentState;
  pid: number | null;
  generation: number;
  /** ms since the current generation started, or null. */
  uptime_ms: number | null;
  /** `ready_after` from the config: without a probe, `up -d` counts it ready after this long up. */
  ready_after_ms: number;
  restarts: number;
  health: 'healthy' | 'unhealthy' | 'unknown' | null;
  /** Why it is failed/exited/unhealthy, when there is a reason. */
  reason: string | null;
  /** Last resource sample, when sampling is on. */
  cpu_percent: number | null;
  memory_mb: number | null;
  next_restart_in_ms: number | null;
  /** How the last generation that ended by itself ended (`exit code 3`, `signal SIGKILL`), or null if none has; stops by corral do not count. */
  last_exit: string | null;
  /** Generations that ended by themselves since the daemon started (stops by corral do not count): `up -d` counts those after its own request. */
  exits: number;
  depends_on: Record<string, string>;
  /** The entry this component is a replica of (`replicas: N` makes NAME-1 … NAME-N), when it is one. */
  replica_of?: string;
  /** How `corral attach` reaches a running pty or tmux component (absent otherwise). */
  attach?: AttachInfo;
}

/** The answer to a reload. */
export interface ReloadResult {
  ok: boolean;
  message: string;
  /** The config file was invalid (nothing changed): every problem, with its path and line. */
  errors?: ConfigIssue[];
  /** The config file read. */
  file?: string;
}

/** What the HTTP control routes and the CLI drive. */
export interface Controller {
  list(): ComponentInfo[];
  /** Heartbeat view: name → status. */
  statuses(): Record<string, ComponentStatus>;
  start(name: string): Promise<void>;
  /** `cause` (default: a user's request) is reported in component.stopped. */
  stop(name: string, cause?: string): Promise<void>;
  restart(name: string, cause?: string): Promise<void>;
  /** Re-read and apply the config file (same as SIGHUP). */
  reload(): Promise<ReloadResult>;
  /** `corral up NAME... --profile P` on a running daemon: the new selection, started; `starting` lists what it runs (absent: 501). */
  up?(selection: { names: string[]; profiles: string[] }): Promise<{ starting: string[] }>;
  /** `corral down NAME...`: those and what depends on them, stopped; the daemon keeps running (absent: 501). */
  down?(names: string[]): Promise<{ stopping: string[] }>;
  /** Graceful `corral down`: stop everything then exit the daemon. */
  shutdown(): Promise<void>;
}

/** Thrown by controller methods for a name the config does not have. */
export class UnknownComponentError extends CorralError {
  constructor(readonly component: string) {
    super('CMP003', [component]);
  }
}

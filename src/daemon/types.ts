import type { CorralConfig } from '../config/schema.js';
import type { Bus } from '../bus/types.js';
import type { Controller } from '../supervisor/types.js';
import type { CorralServer } from '../server/index.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { DaemonInfo } from './paths.js';
import type { Selection } from '../supervisor/selection.js';
import type { LeftoversEndedPayload } from '../schema/payloads.js';

/** A running daemon. */
export interface Daemon {
  readonly config: CorralConfig;
  readonly configPath: string;
  readonly stateDir: string;
  readonly bus: Bus;
  /** The current server (a reload that moves the bus replaces it). */
  readonly server: CorralServer;
  readonly supervisor: Supervisor;
  readonly controller: Controller;
  readonly info: DaemonInfo;
  /** What this daemon ended at its start that a previous one (killed, crashed) had left running. */
  readonly leftovers: LeftoversEndedPayload;
  /** Settles once the daemon has shut down (after `shutdown()`, `corral down`, or a signal). */
  readonly done: Promise<void>;
  /** Stops every component (reverse dependency order) and then the daemon. */
  shutdown(reason?: string): Promise<{ blocked: string[] }>;
}

export interface StartDaemonOptions {
  configPath: string;
  version: string;
  /** Handle SIGINT/SIGTERM/SIGHUP (the CLI does; tests do not). */
  handleSignals?: boolean;
  /** Also write log lines here (`corral daemon` uses stderr). */
  echoLog?: (line: string) => void;
  /** Overall deadline of `corral down` (default 60 s). */
  downDeadlineMs?: number;
  /** What `corral up NAME... --profile P` asked to run (default: every component without `profiles`); the rest is `inactive`. */
  selection?: Selection;
  /** How often the state directory is checked for deletion (default STATE_CHECK_MS, state-watch.ts). */
  stateCheckMs?: number;
}

import type { Bus, EventStore } from '../bus/types.js';
import type { ErrorData } from '../schema/errors.js';
import type { ComponentStatus } from '../schema/messages.js';
import type { Controller } from '../supervisor/types.js';
import type { Logger } from '../plugins/types.js';
import type { MemoryBudget } from './memory-budget.js';
import type { RedactOptions } from '../bus/redact.js';
import type { SampleHistory } from './sample-history.js';
import type { HookGate } from '../hooks/gate.js';
import type { TestResult } from '../notify/notifier.js';

/** Token-bucket settings: `rate` tokens a second, at most `burst` saved up. */
export interface RateLimit {
  rate: number;
  burst: number;
}

/** Where a slow subscriber starts being batched and where it is dropped (bytes). */
export interface SlowConsumerLimits {
  /** Above this many buffered bytes, events are queued and sent later as batches (default 1 MiB). */
  highWatermark: number;
  /** Above this many buffered + queued bytes, the subscriber is closed (default 16 MiB). */
  hardLimit: number;
}

/**
 * Federation as the server sees it (src/federation/): its state for
 * /health, every host's component table, and remote control requests.
 * Absent (or `status().state` "off") when the config has no `federation:`.
 */
export interface FederationView {
  status(): { state: string; host?: string; servers?: string[]; backlog?: number; last_error?: string };
  hosts(): Promise<unknown[]>;
  request(host: string, op: 'start' | 'stop' | 'restart', name: string): Promise<{ ok: boolean; status: number; error?: string; pid?: number | null; state?: string }>;
}

/** Options of `createServer`. */
export interface ServerOptions {
  bus: Bus;
  /** The store, for the dashboard's filter options (else computed from recent history). */
  store?: EventStore;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** WebSocket path of the bus (default `/events`); `/stream` is served too (observability dashboard). */
  path?: string;
  token: string;
  /** `local`: loopback clients may publish/subscribe without the token. `required`: everyone needs it. */
  auth: 'local' | 'required';
  /** Browser origins allowed besides the daemon's own. */
  allowedOrigins: string[];
  /** Largest WebSocket frame and HTTP body, bytes. */
  maxPayload: number;
  rateLimit: RateLimit;
  /** Most WebSocket clients at once (default 1024); the next upgrade is refused with 503. */
  maxClients?: number;
  heartbeatMs: number;
  /** Events in a connection's `initial` message. */
  history: number;
  /** Null until a supervisor exists: control routes then answer 503 (after the token check). */
  controller?: Controller | null;
  /** Heartbeat view: component → status. */
  heartbeat: () => Record<string, ComponentStatus>;
  logger?: Logger;
  slowConsumer?: Partial<SlowConsumerLimits>;
  /** Most stored events replayed in `initial` for `?after=SEQ` (default 10 000). */
  replayCap?: number;
  /**
   * Events the store may be behind before clients' `event` messages wait
   * (default 10 000, about 20 MB of queued events): a client publishing faster
   * than SQLite writes is slowed down (TCP pushes back) instead of the daemon
   * holding an ever-growing queue in memory. Resumes under half of it.
   */
  storeHighWater?: number;
  /** WebSocket ping period (default: heartbeatMs); a peer that missed a pong is terminated. */
  pingMs?: number;
  /** The daemon-wide budget of bytes clients can make it hold (default: a new one of DEFAULT_MEMORY_BUDGET, memory-budget.ts). */
  memoryBudget?: MemoryBudget;
  /** Version reported by GET /health. */
  version?: string;
  /** The config file reported by GET /health (a CLI that found the daemon by its address says whose it is). */
  config?: string;
  /** The `hooks:` rules and pending decisions (POST /hooks answers, /api/decisions); without it every hook gets `{}`. */
  hooks?: HookGate;
  /** The `notify:` rules, for POST /api/notify/test. */
  notifier?: { test(rule?: string): Promise<TestResult[]>; ruleNames(): string[] };
  /** Request-body bytes held at once across all requests (default 64 MiB, body-budget.ts); past it, 503 with Retry-After. */
  bodyBudget?: number;
  /** The web dashboard's read-only data (routes-dashboard.ts) and, for tests, where its built files are. */
  dashboard?: DashboardSource & { webDir?: string };
  /** Federation (GET /health's `federation`, /federation/hosts, remote control). */
  federation?: FederationView;
}

/** The close frame sent to every WebSocket client when the server closes. */
export interface CloseHow {
  code: number;
  /** At most 123 bytes (the WebSocket limit); longer is cut. */
  reason: string;
}

/** A running server. */
export interface CorralServer {
  readonly port: number;
  readonly host: string;
  /** `http://HOST:PORT`. */
  readonly url: string;
  /**
   * Closes every WebSocket connection (by default 1001 Going Away, "corral is
   * shutting down"; a daemon moving the bus passes 1012 and the new address),
   * then the listener.
   */
  close(how?: CloseHow): Promise<void>;
  /** Open WebSocket connections. */
  clientCount(): number;
  /** Bytes buffered or queued for all WebSocket clients together. */
  backlog(): number;
  /** Sends an error message to every connection without storing it. */
  broadcastError(error: ErrorData): void;
}

/** What the daemon gives the dashboard's read-only routes (ServerOptions.dashboard). */
export interface DashboardSource {
  /** The recent resource samples of every component. */
  samples: SampleHistory;
  /** The components' log directory (STATE_DIR/logs). */
  logsDir: string;
  /** The bus's redaction settings as they stand now (config `bus.redact`): log lines get the same masking as events. */
  redact?: () => RedactOptions | undefined;
}

import { z } from 'zod';
import { Duration, Size } from './units.js';

/** Names that built-in runners answer to; any other `plugin` value is a plugin name or path. */
export const BUILTIN_RUNNERS = ['process', 'pty', 'tmux'] as const;

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2'] as const;

export const RestartSchema = z
  .strictObject({
    policy: z.enum(['always', 'on-failure', 'never']).default('on-failure'),
    backoff: z
      .strictObject({
        initial: Duration.default(1000),
        max: Duration.default(30_000),
        factor: z.number().min(1).default(2),
        jitter: z.number().min(0).max(1).default(0.2),
      })
      .prefault({}),
    max_restarts: z.number().int().nonnegative().default(10),
    window: Duration.default(60_000),
    /** Uptime after which the backoff resets to `initial`. */
    stable_after: Duration.default(60_000),
  })
  .prefault({});

export const StopSchema = z
  .strictObject({
    signal: z.enum(SIGNALS).default('SIGTERM'),
    timeout: Duration.default(10_000),
  })
  .prefault({});

export const HealthSchema = z
  .strictObject({
    http: z.string().url().optional(),
    tcp: z.string().regex(/^[^:]+:\d+$|^\d+$/, 'expected HOST:PORT or PORT').optional(),
    exec: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
    interval: Duration.default(5000),
    timeout: Duration.default(2000),
    failures: z.number().int().positive().default(3),
    initial_delay: Duration.default(0),
  })
  .refine((h) => [h.http, h.tcp, h.exec].filter((x) => x !== undefined).length === 1, {
    message: 'health needs exactly one probe: http, tcp or exec',
  });

export const ThresholdSchema = z.strictObject({ warning: Size.optional(), critical: Size.optional() });
export const CpuThresholdSchema = z.strictObject({
  warning: z.number().positive().optional(),
  critical: z.number().positive().optional(),
  for: Duration.default(0),
});

export const ResourceLimitsSchema = z.strictObject({
  memory: ThresholdSchema.optional(),
  cpu: CpuThresholdSchema.optional(),
  /** Consecutive samples over a threshold before an alert is raised. */
  samples: z.number().int().positive().optional(),
  on_critical: z.enum(['restart', 'alert']).default('alert'),
});

export const DEPENDENCY_CONDITIONS = ['started', 'healthy', 'completed'] as const;

/**
 * One component. The keys here are the core's; a plugin's own keys sit beside
 * them and are checked by the plugin's configSchema (see config/plugins), so
 * the object is loose here and strictness is applied per plugin.
 */
export const ComponentSchema = z.looseObject({
  plugin: z.string().min(1).default('process'),
  enabled: z.boolean().default(true),
  description: z.string().optional(),
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
  shell: z.boolean().default(false),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  depends_on: z
    .union([
      z.record(z.string(), z.enum(DEPENDENCY_CONDITIONS)),
      z.array(z.string()).transform((names) => Object.fromEntries(names.map((n) => [n, 'started' as const]))),
    ])
    .default({}),
  restart: RestartSchema,
  stop: StopSchema,
  /** How long a start may take (until running, or healthy when there is a probe) before CMP001. */
  start_timeout: Duration.default(30_000),
  health: HealthSchema.optional(),
  resources: ResourceLimitsSchema.optional(),
  /** tmux runner: session and window names. */
  session: z.string().optional(),
  window: z.string().optional(),
  logs: z.strictObject({ max_size: Size.optional(), max_files: z.number().int().positive().optional() }).optional(),
});
export type ComponentConfig = z.infer<typeof ComponentSchema>;

export const BusSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4000),
    path: z.string().startsWith('/').default('/events'),
    heartbeat: Duration.default(30_000),
    history: z.number().int().nonnegative().default(100),
    auth: z.enum(['local', 'required']).default('local'),
    allowed_origins: z.array(z.string()).default([]),
    max_payload: Size.default(1024 * 1024),
    rate_limit: z
      .strictObject({ rate: z.number().positive().default(2000), burst: z.number().positive().default(4000) })
      .prefault({}),
    retention: z.strictObject({ events: z.number().int().positive().default(100_000), age: Duration.default(7 * 86_400_000) }).prefault({}),
    redact: z
      .strictObject({
        patterns: z.array(z.string()).default([]),
        field_max: Size.default(64 * 1024),
      })
      .prefault({}),
    compression: z.boolean().default(false),
  })
  .prefault({});

export const ResourcesSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    interval: Duration.default(2000),
    samples: z.number().int().positive().default(3),
    memory: ThresholdSchema.optional(),
    cpu: CpuThresholdSchema.optional(),
  })
  .prefault({});

export const LogsSchema = z
  .strictObject({ max_size: Size.default(10 * 1024 * 1024), max_files: z.number().int().positive().default(3) })
  .prefault({});

/** The whole config file. */
export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).default(1),
  state_dir: z.string().optional(),
  bus: BusSchema,
  resources: ResourcesSchema,
  logs: LogsSchema,
  /** Extra directories where plugins are looked up by name (besides `plugins/`). */
  plugin_dirs: z.array(z.string()).default([]),
  components: z.record(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'component names use letters, digits, _ . -'), ComponentSchema).default({}),
});
export type CorralConfig = z.infer<typeof ConfigSchema>;
export type CorralConfigInput = z.input<typeof ConfigSchema>;

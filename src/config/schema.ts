import { z } from 'zod';
import { Duration, Size } from './units.js';
import { HooksSchema, NotifySchema } from './notify-schema.js';
import { FederationSchema } from './federation-schema.js';

/** Names that built-in runners answer to; any other `plugin` value is a plugin name or path. */
export const BUILTIN_RUNNERS = ['process', 'pty', 'tmux'] as const;

/** 1500 → `1.5s`, 250 → `250ms`: a duration as a config would write it. */
const showMs = (ms: number): string => (ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`);

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2'] as const;

export const RestartSchema = z
  .strictObject({
    policy: z.enum(['always', 'on-failure', 'never']).default('on-failure'),
    backoff: z
      .strictObject({
        initial: Duration.prefault('1s'),
        max: Duration.prefault('30s'),
        factor: z.number().min(1).default(2),
        jitter: z.number().min(0).max(1).default(0.2),
      })
      // A first delay above the cap would be cut to the cap at once: say so instead of silently ignoring `initial`.
      .superRefine((b, ctx) => {
        if (b.initial > b.max) {
          ctx.addIssue({ code: 'custom', path: ['initial'], message: `initial (${showMs(b.initial)}) must not be above max (${showMs(b.max)})` });
        }
      })
      .prefault({}),
    max_restarts: z.number().int().nonnegative().default(10),
    window: Duration.prefault('60s'),
    /** Uptime after which the backoff resets to `initial`. */
    stable_after: Duration.prefault('60s'),
  })
  .prefault({});

export const StopSchema = z
  .strictObject({
    signal: z.enum(SIGNALS).default('SIGTERM'),
    timeout: Duration.prefault('10s'),
  })
  .prefault({});

export const HealthSchema = z
  .strictObject({
    http: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:3456/health' }).optional(),
    // A bare port is common enough (`tcp: 5432`) that YAML's number must be accepted too.
    tcp: z
      .union([z.string().regex(/^[^:\s]+:\d+$|^\d+$/, 'expected HOST:PORT or PORT'), z.number().int().min(1).max(65535)])
      .transform(String)
      .optional(),
    exec: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
    interval: Duration.prefault('5s'),
    timeout: Duration.prefault('2s'),
    failures: z.number().int().positive().default(3),
    initial_delay: Duration.prefault('0s'),
    /** `restart`: a probe failing `failures` times in a row after the component was healthy restarts it (liveness). */
    on_failure: z.enum(['alert', 'restart']).default('alert'),
  })
  .refine((h) => [h.http, h.tcp, h.exec].filter((x) => x !== undefined).length === 1, {
    message: 'health needs exactly one probe: http, tcp or exec',
  });

// A warning at or above its critical level could never be raised on its own: say so instead of alerting oddly.
const warningIsBelowCritical = (t: { warning?: number; critical?: number }): boolean =>
  t.warning === undefined || t.critical === undefined || t.warning < t.critical;
const warningBelowCritical = {
  message: 'warning must be below critical',
  path: ['warning'],
  // Judged only when both values parsed: one zod already refused (`critical: lots`, `critical: -5`) is reported by itself.
  when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0,
};

export const ThresholdSchema = z
  .strictObject({ warning: Size.optional(), critical: Size.optional() })
  .refine(warningIsBelowCritical, warningBelowCritical);
export const CpuThresholdSchema = z
  .strictObject({
    /** Percent of one core (a busy process on 2 cores can show 200). */
    warning: z.number().positive().optional(),
    critical: z.number().positive().optional(),
    for: Duration.prefault('0s'),
  })
  .refine(warningIsBelowCritical, warningBelowCritical);

export const ResourceLimitsSchema = z.strictObject({
  memory: ThresholdSchema.optional(),
  cpu: CpuThresholdSchema.optional(),
  /** Consecutive samples over a threshold before an alert is raised. */
  samples: z.number().int().positive().optional(),
  on_critical: z.enum(['restart', 'alert']).default('alert'),
});

/** `env_file`: a `.env` path relative to the config's directory, or a list of them (a later file wins); `{path, required: false}` may be missing. */
export const EnvFileSchema = z
  .union([z.string().min(1), z.array(z.union([z.string().min(1), z.strictObject({ path: z.string().min(1), required: z.boolean().default(true) })]))])
  .optional()
  .describe('env files (docker compose syntax) whose variables the process gets, under its env:; also read by ${VAR} interpolation');

/** Most instances one entry may run (`replicas`). */
export const MAX_REPLICAS = 100;

/** A profile's name (`profiles: [dev]`, `corral up --profile dev`): docker compose's rule. */
const ProfileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a profile name uses letters, digits, _ . - and starts with a letter or digit');

export const DEPENDENCY_CONDITIONS = ['started', 'healthy', 'completed'] as const;

/** `watch:` written in full: the globs, the ones to ignore, the quiet time before a restart. */
const WatchSchema = z.strictObject({
  paths: z.union([z.string().min(1).transform((p) => [p]), z.array(z.string().min(1)).min(1)]),
  ignore: z.union([z.string().min(1).transform((p) => [p]), z.array(z.string().min(1))]).default([]),
  debounce: Duration.prefault('500ms'),
});

/**
 * One component. The keys here are the core's; a plugin's own keys sit beside
 * them and are checked by the plugin's configSchema (see config/plugins), so
 * the object is loose here and strictness is applied per plugin.
 */
export const ComponentSchema = z.looseObject({
  plugin: z.string().min(1).default('process').describe('the runner: process, pty, tmux, or a plugin name or path'),
  enabled: z.boolean().default(true).describe('false keeps the entry in the file without running it'),
  description: z.string().optional(),
  profiles: z
    .union([ProfileName.transform((p) => [p]), z.array(ProfileName)])
    .optional()
    .describe('runs only when `corral up --profile P` names one of these (a component without profiles always runs)'),
  command: z
    .union([z.string().min(1), z.array(z.string()).min(1)])
    .optional()
    .describe('what to run: a string (split without a shell unless shell: true) or an argv array'),
  shell: z.boolean().default(false),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  env_file: EnvFileSchema,
  depends_on: z
    .union([
      z.record(z.string(), z.enum(DEPENDENCY_CONDITIONS)),
      z.array(z.string()).transform((names) => Object.fromEntries(names.map((n) => [n, 'started' as const]))),
    ])
    .default({}),
  restart: RestartSchema,
  stop: StopSchema,
  /** How long a start may take (until running, or healthy when there is a probe) before CMP001. */
  start_timeout: Duration.prefault('30s'),
  /**
   * How long a component without a health probe must stay up before `corral up -d` counts it
   * ready (supervisord's `startsecs`, PM2's `min_uptime`): one that crashes within it is caught.
   */
  ready_after: Duration.prefault('1s').describe('how long a component without a health probe must stay up before `corral up -d` counts it ready'),
  health: HealthSchema.optional(),
  resources: ResourceLimitsSchema.optional(),
  /** tmux runner: session and window names. */
  session: z.string().optional(),
  window: z.string().optional(),
  replicas: z
    .number()
    .int()
    .min(1)
    .max(MAX_REPLICAS)
    .optional()
    .describe('runs N instances named NAME-1 … NAME-N, each with CORRAL_REPLICA (1 … N) in its env'),
  watch: z
    .union([
      WatchSchema,
      // `watch: src` and `watch: [src, lib]`: the paths alone, the rest defaulted.
      z.string().min(1).transform((p) => WatchSchema.parse({ paths: p })),
      z.array(z.string().min(1)).min(1).transform((paths) => WatchSchema.parse({ paths })),
    ])
    .optional()
    .describe('restart when a file under these globs (relative to cwd) changes; .gitignore files under them apply'),
  logs: z.strictObject({ max_size: Size.optional(), max_files: z.number().int().positive().optional().describe('files kept, the live one included: 3 is X.log, X.log.1 and X.log.2') }).optional(),
});
export type ComponentConfig = z.infer<typeof ComponentSchema>;

export const BusSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4000),
    path: z.string().startsWith('/').default('/events'),
    heartbeat: Duration.prefault('30s'),
    history: z.number().int().nonnegative().default(100),
    auth: z.enum(['local', 'required']).default('local'),
    allowed_origins: z.array(z.string()).default([]),
    max_payload: Size.prefault('1MiB'),
    max_clients: z.number().int().positive().default(1024).describe('most WebSocket clients at once; more are refused with 503 at the upgrade'),
    rate_limit: z
      .strictObject({ rate: z.number().positive().default(2000), burst: z.number().positive().default(4000) })
      .prefault({}),
    retention: z.strictObject({ events: z.number().int().positive().default(100_000), age: Duration.prefault('7d') }).prefault({}),
    redact: z
      .strictObject({
        patterns: z.array(z.string()).default([]),
        field_max: Size.prefault('64KiB'),
      })
      .prefault({}),
    compression: z.boolean().default(false),
  })
  .prefault({});

export const ResourcesSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    interval: Duration.prefault('2s'),
    samples: z.number().int().positive().default(3),
    memory: ThresholdSchema.optional(),
    cpu: CpuThresholdSchema.optional(),
  })
  .prefault({});

export const LogsSchema = z
  .strictObject({ max_size: Size.prefault('10MiB'), max_files: z.number().int().positive().default(3).describe('files kept, the live one included: 3 is X.log, X.log.1 and X.log.2') })
  .prefault({});

/** An entry named like a replica of another (`web-1` beside `web` with `replicas`) would be two components of one name. */
function noReplicaNames(components: Record<string, { replicas?: number | undefined }>, ctx: z.RefinementCtx): void {
  for (const [base, c] of Object.entries(components)) {
    if (c.replicas === undefined) continue;
    const pattern = new RegExp(`^${base.replace(/[.]/g, '\\.')}-\\d+$`);
    for (const name of Object.keys(components)) {
      if (!pattern.test(name)) continue;
      ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is named like a replica of "${base}" (replicas: ${c.replicas}, named ${base}-1 … ${base}-${c.replicas}): rename it` });
    }
  }
}

/** The whole config file. */
/** What a component name may be: it names a log file and a tmux window, so no `/` and no leading `.`. */
export const COMPONENT_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).default(1),
  state_dir: z.string().optional(),
  bus: BusSchema,
  resources: ResourcesSchema,
  logs: LogsSchema,
  /** Extra directories where plugins are looked up by name (besides `plugins/`). */
  plugin_dirs: z.array(z.string()).default([]),
  /** Env files every component gets (before its own `env_file` and `env`). */
  env_file: EnvFileSchema,
  /** Notification rules (docs/notify.md). */
  notify: NotifySchema,
  /** Decisions on Claude Code hooks (docs/hooks.md). */
  hooks: HooksSchema,
  /** Federation over NATS JetStream (docs/federation.md); absent: off. */
  federation: FederationSchema,
  components: z
    .record(
      z
        .string()
        .regex(COMPONENT_NAME_RE, 'component names use letters, digits, _ . -')
        // The daemon's own name: its resource alerts and bus registration use it.
        .refine((name) => name !== 'corral', '"corral" is the daemon\'s own name (its resource alerts carry it); choose another'),
      ComponentSchema,
    )
    .superRefine(noReplicaNames)
    .default({}),
});
export type CorralConfig = z.infer<typeof ConfigSchema>;
export type CorralConfigInput = z.input<typeof ConfigSchema>;

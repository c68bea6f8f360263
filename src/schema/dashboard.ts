import { z } from 'zod';

/**
 * The wire shapes of the dashboard's read-only routes (src/server/routes-dashboard.ts).
 * The web page (web/src/) imports these types, so the server and the page share one
 * definition; the page never loads zod itself.
 */

/** One resource sample: `[unix_ms, cpu_percent, memory_mb]`. */
export const ResourcePointSchema = z.tuple([z.number(), z.number(), z.number()]);
export type ResourcePoint = z.infer<typeof ResourcePointSchema>;

/** One row of the dashboard's component table: what `corral ps` shows, without what only control may see. */
export const DashboardComponentSchema = z.object({
  name: z.string(),
  plugin: z.string(),
  state: z.string(),
  pid: z.number().nullable(),
  generation: z.number(),
  uptime_ms: z.number().nullable(),
  restarts: z.number(),
  health: z.enum(['healthy', 'unhealthy', 'unknown']).nullable(),
  reason: z.string().nullable(),
  cpu_percent: z.number().nullable(),
  memory_mb: z.number().nullable(),
  next_restart_in_ms: z.number().nullable(),
  last_exit: z.string().nullable(),
  depends_on: z.record(z.string(), z.string()),
  /** A pty or tmux component that `corral attach NAME` reaches (the socket itself is not shown). */
  attachable: z.boolean(),
  /** The entry this row is a replica of (`replicas: N` makes NAME-1 … NAME-N): the page groups them under it. */
  replica_of: z.string().optional(),
  /** The samples taken since `since` (all the kept ones without it), oldest first. */
  samples: z.array(ResourcePointSchema),
});
export type DashboardComponent = z.infer<typeof DashboardComponentSchema>;

/** `GET /dashboard/components`. */
export const DashboardComponentsSchema = z.object({
  components: z.array(DashboardComponentSchema),
  /** The daemon's clock, so the page can tell ages without trusting its own. */
  server_time: z.number(),
  /** How many samples the daemon keeps per component. */
  samples_kept: z.number(),
});
export type DashboardComponents = z.infer<typeof DashboardComponentsSchema>;

/** One line of a component's log, cleaned of terminal escapes. */
export const DashboardLogLineSchema = z.object({
  time: z.string(),
  stream: z.enum(['out', 'err']),
  text: z.string(),
});
export type DashboardLogLine = z.infer<typeof DashboardLogLineSchema>;

/** `GET /dashboard/logs/NAME?lines=N`. */
export const DashboardLogSchema = z.object({
  component: z.string(),
  lines: z.array(DashboardLogLineSchema),
  /** Where the lines come from, or why there are none (a tmux component's output is in its window). */
  note: z.string().nullable(),
});
export type DashboardLog = z.infer<typeof DashboardLogSchema>;

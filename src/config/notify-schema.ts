import { z } from 'zod';
import { Duration } from './units.js';

const DESTINATIONS = ['webhook', 'slack', 'ntfy', 'desktop', 'command'] as const;
const httpUrl = (what: string) => z.url({ protocol: /^https?$/, error: `expected an http(s) URL for ${what}` });

/**
 * One `notify:` rule (docs/notify.md): a bus filter (`on`, `level`) and
 * exactly one destination. `every` throttles per rule and component,
 * `retry` is how long a delivery is retried with backoff.
 */
export const NotifyRuleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'rule names use letters, digits, _ . -')
      .optional()
      .describe('the rule name (default rule-N, N its index from 0)'),
    on: z.string().min(1).describe('event_type filter, as the bus takes it: a comma list, `prefix.*` terms'),
    level: z.enum(['info', 'warning', 'critical']).optional().describe("an alert's alert_level or an error's severity at least this"),
    webhook: httpUrl('webhook').optional(),
    headers: z.record(z.string(), z.string()).optional().describe('extra HTTP headers of a webhook'),
    slack: httpUrl('slack (an incoming-webhook URL)').optional(),
    ntfy: httpUrl('ntfy (a topic URL such as https://ntfy.sh/mytopic)').optional(),
    desktop: z.literal(true).optional(),
    command: z.array(z.string()).min(1).optional().describe('argv, spawned without a shell; {title} {message} {component} {event_type} are replaced in each element'),
    every: Duration.prefault('1m'),
    retry: Duration.prefault('1m'),
  })
  .superRefine((r, ctx) => {
    const set = DESTINATIONS.filter((d) => r[d] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `a notify rule needs exactly one destination of ${DESTINATIONS.join(', ')}${set.length > 1 ? `; it has ${set.join(' and ')}` : ''}` });
    }
    if (r.headers !== undefined && r.webhook === undefined) ctx.addIssue({ code: 'custom', path: ['headers'], message: 'headers are for a webhook destination' });
    if (r.on.split(',').some((t) => /^\s*notify\./.test(t) || t.trim() === '*')) {
      ctx.addIssue({ code: 'custom', path: ['on'], message: 'notify.* events never trigger rules (a failing destination would notify about itself); name the events to notify on' });
    }
  });
export type NotifyRule = z.infer<typeof NotifyRuleSchema>;

/** The `notify:` list; rule names (given or rule-N) must be unique. */
export const NotifySchema = z
  .array(NotifyRuleSchema)
  .default([])
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      const name = r.name ?? `rule-${i}`;
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two notify rules are named "${name}"` });
      seen.add(name);
    });
  });

/** A `hooks.deny` / `hooks.ask` rule: a tool name (or `*`) and a pattern on its input. */
export const HookRuleSchema = z.strictObject({
  tool: z.string().min(1).describe('an exact tool name (Bash, Write, mcp__x__y) or * for any'),
  match: z
    .string()
    .min(1)
    .optional()
    .describe('a substring of the tool input (as JSON), or a regular expression written /…/flags; none matches every input')
    .superRefine((m, ctx) => {
      const re = /^\/(.+)\/([a-z]*)$/s.exec(m ?? '');
      if (!re) return;
      try {
        new RegExp(re[1]!, re[2]);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
      }
    }),
  reason: z.string().optional().describe('the reason given to Claude Code (default: names the rule)'),
});
export type HookRule = z.infer<typeof HookRuleSchema>;

/** `hooks:` decisions on Claude Code hooks posted to POST /hooks/EVENT (docs/hooks.md). */
export const HooksSchema = z
  .strictObject({
    deny: z.array(HookRuleSchema).default([]),
    ask: z.array(HookRuleSchema).default([]),
    ask_timeout: Duration.prefault('60s').describe('how long an `ask` holds the hook before the default applies'),
    ask_default: z.enum(['allow', 'deny']).default('allow').describe('what an unanswered `ask` becomes'),
  })
  .prefault({});
export type HooksConfig = z.infer<typeof HooksSchema>;

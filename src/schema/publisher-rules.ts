import type { z } from 'zod';
import { ErrorDataSchema } from './errors.js';
import { AgentPayloadSchema, ResourcePayloadSchema } from './payloads.js';

/** The source of the events corral makes itself; no client may publish under it. */
export const CORRAL_SOURCE = 'corral';

/**
 * True when `name` (a source, a component name) is corral's own: compared
 * trimmed and case-insensitively, so `Corral`, `CORRAL` and `"corral "` cannot
 * pass for the daemon in a list or a log either.
 */
export function isReserved(name: string): boolean {
  return name.trim().toLowerCase() === CORRAL_SOURCE;
}

/** Event types only corral publishes: a client sending one would forge the daemon's own account. */
const RESERVED_TYPES: readonly { test: (t: string) => boolean; what: string }[] = [
  { test: (t) => t.startsWith('component.'), what: 'corral publishes component.* events itself (register on the bus to get component.started/stopped for your component)' },
  { test: (t) => t === 'config.changed', what: 'corral publishes config.changed when it reloads its config' },
  { test: (t) => t.startsWith('ws.'), what: 'corral publishes ws.* events about bus connections' },
  { test: (t) => t.startsWith('notify.'), what: 'corral publishes notify.sent and notify.failed about its notifications' },
  { test: (t) => t.startsWith('hook.decision.'), what: 'corral publishes hook.decision.* about the decisions it holds' },
  { test: (t) => t.startsWith('federation.'), what: 'corral publishes federation.* about its link to NATS' },
];

/** Event types whose payload has a shape of the spec: subscribers rely on it, so it is checked. */
const TYPED_PAYLOADS: readonly { test: (t: string) => boolean; schema: z.ZodType; name: string }[] = [
  { test: (t) => t.startsWith('error.'), schema: ErrorDataSchema, name: 'ErrorData' },
  { test: (t) => t === 'resource.alert', schema: ResourcePayloadSchema, name: 'ResourcePayload' },
  { test: (t) => t.startsWith('flow.agent.'), schema: AgentPayloadSchema, name: 'AgentPayload' },
];

/** A problem with an event a client sent, field by field. */
export interface RuleIssue {
  path: string;
  message: string;
}

/**
 * What a client (a WebSocket or HTTP publisher) may not send even when the
 * event passes the schema: corral's own source, the event types corral
 * publishes about itself, and payloads of typed events (`error.*`,
 * `resource.alert`, `flow.agent.*`) that do not have their shape. Returns
 * the issues, empty when the event is fine. In-process publishers (the
 * daemon and plugins) are not held to these rules.
 */
export function clientEventIssues(event: unknown): RuleIssue[] {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return [];
  const e = event as { source?: unknown; event_type?: unknown; payload?: unknown };
  const issues: RuleIssue[] = [];
  if (typeof e.source === 'string' && isReserved(e.source)) issues.push({ path: 'source', message: `"${CORRAL_SOURCE}" is reserved for the events corral makes itself; use your component's name` });
  if (typeof e.event_type !== 'string') return issues;
  const type = e.event_type;
  // `Component.started` or ` config.changed` would read as corral's own to a person or a case-blind filter.
  const folded = type.trim().toLowerCase();
  const reserved = RESERVED_TYPES.find((r) => r.test(folded));
  if (reserved) issues.push({ path: 'event_type', message: `"${type}" is reserved: ${reserved.what}` });
  const typed = TYPED_PAYLOADS.find((p) => p.test(type));
  if (typed) {
    const parsed = typed.schema.safeParse(e.payload ?? {});
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ path: ['payload', ...i.path.map(String)].join('.'), message: `${i.message} (${type} carries ${typed.name})` });
    } else if (typed.name === 'ErrorData') {
      const code = type.slice('error.'.length);
      const given = (e.payload as { error_code?: unknown }).error_code;
      if (given !== code) issues.push({ path: 'payload.error_code', message: `must be "${code}" to match event_type "${type}", got ${JSON.stringify(given)}` });
    }
  }
  return issues;
}

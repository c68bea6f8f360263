import { uuid as randomUUID, uuidv7 } from '../util/uuid.js';
import { z } from 'zod';
import { ChatMessageSchema } from './payloads.js';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');
const timestamp = z.number().finite().nonnegative();

/** The timestamps a publisher may send: Unix ms from 2000-01-01 to 2100-01-01 (a `1e300` printed as NaN dates). */
export const TIMESTAMP_MIN = Date.UTC(2000, 0, 1);
export const TIMESTAMP_MAX = Date.UTC(2100, 0, 1);
const TIMESTAMP_RULE = `must be Unix time in milliseconds from 2000-01-01 to 2100-01-01 (${TIMESTAMP_MIN} to ${TIMESTAMP_MAX})`;
const inputTimestamp = z.number().finite().min(TIMESTAMP_MIN, TIMESTAMP_RULE).max(TIMESTAMP_MAX, TIMESTAMP_RULE);
const name = z.string().min(1).max(256);

/** The fields every event has (spec: BaseEvent). */
export const BaseEventSchema = z.looseObject({
  id: uuid,
  timestamp,
  source: name,
  session_id: z.string().max(256),
  event_type: name,
  version: z.literal('1.0'),
});
/** The fields every event has. */
export type BaseEvent = z.infer<typeof BaseEventSchema>;

/**
 * A complete event as corral stores and broadcasts it: the base fields, a
 * payload (an object, empty when none was given) and the optional fields of
 * HookEvent. Unknown top-level keys are kept as sent.
 */
export const EventSchema = BaseEventSchema.extend({
  payload: z.record(z.string(), z.any()).default({}),
  source_app: z.string().max(256).optional(),
  hook_event_type: z.string().max(256).optional(),
  chat: z.array(ChatMessageSchema).optional(),
  summary: z.string().optional(),
  model_name: z.string().max(256).optional(),
  /** The host the event came from: set on every event once federation is on. */
  host: z.string().max(256).optional(),
});
/** A complete event, as it leaves corral. */
export type CorralEvent = z.infer<typeof EventSchema>;

/** A Claude Code hook event (spec: HookEvent). */
export const HookEventSchema = EventSchema.extend({
  source_app: z.string().max(256),
  hook_event_type: z.string().min(1).max(256),
  payload: z.record(z.string(), z.any()),
});
/** A Claude Code hook event. */
export type HookEvent = z.infer<typeof HookEventSchema>;

/**
 * What a publisher may send: `id`, `timestamp` and `version` may be left out
 * and are filled in by `completeEvent`. Everything else must already be right.
 */
export const EventInputSchema = EventSchema.extend({
  id: uuid.optional(),
  timestamp: inputTimestamp.optional(),
  version: z.literal('1.0').optional(),
});
/** An event as a publisher may send it. */
export type EventInput = z.input<typeof EventInputSchema>;

/** Result of checking an event: the event, or the issues with their paths. */
export type EventCheck =
  | { ok: true; event: CorralEvent }
  | { ok: false; issues: { path: string; message: string }[]; message: string };

function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/**
 * How deep an event may nest (objects and arrays). Real hook payloads stay
 * far below it; a deeper one would overflow the stack of whatever walks it
 * recursively (JSON.stringify among them), so it is refused at the door.
 */
export const MAX_EVENT_DEPTH = 128;

/**
 * The path of the first value nested deeper than `max`, or null when none is.
 * Iterative, so the check itself cannot overflow the stack.
 */
export function tooDeepAt(value: unknown, max: number = MAX_EVENT_DEPTH): string | null {
  if (value === null || typeof value !== 'object') return null;
  interface Frame {
    v: object;
    depth: number;
    key: string;
    parent: Frame | null;
  }
  const stack: Frame[] = [{ v: value, depth: 1, key: '', parent: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > max) {
      // The path is only built for the answer: building it on the way down costs depth² for a deep chain.
      const keys: string[] = [];
      for (let f: Frame | null = frame; f && f.parent; f = f.parent) keys.push(f.key);
      const shown = keys.reverse().slice(0, 24).join('.');
      return keys.length > 24 ? `${shown}.…` : shown || '(root)';
    }
    const v = frame.v as Record<string, unknown>;
    // for…in, not Object.entries: this runs on every publish, and parsed JSON has no inherited keys.
    for (const k in v) {
      const child = v[k];
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: frame.depth + 1, key: k, parent: frame });
    }
  }
  return null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The keys of EventInputSchema in its shape's order: zod's output lists them first, then unknown keys.
const INPUT_KEYS = ['id', 'timestamp', 'source', 'session_id', 'event_type', 'version', 'payload', 'source_app', 'hook_event_type', 'chat', 'summary', 'model_name', 'host'] as const;
const KNOWN = new Set<string>(INPUT_KEYS);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.prototype.toString.call(v) === '[object Object]';
const optString = (v: unknown, max = Infinity): boolean => v === undefined || (typeof v === 'string' && v.length <= max);
const name256 = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 256;

/**
 * EventInputSchema's rules, by hand: the parsed event exactly as zod would
 * produce it when the input is valid, else null (zod then decides, and says
 * what is wrong). A test keeps the two in agreement.
 */
export function fastEventInput(input: unknown): z.infer<typeof EventInputSchema> | null {
  if (!isPlainObject(input)) return null;
  const e = input;
  if (e.id !== undefined && !(typeof e.id === 'string' && UUID_RE.test(e.id))) return null;
  if (e.timestamp !== undefined && !(typeof e.timestamp === 'number' && e.timestamp >= TIMESTAMP_MIN && e.timestamp <= TIMESTAMP_MAX)) return null;
  if (!name256(e.source) || !name256(e.event_type)) return null;
  if (typeof e.session_id !== 'string' || e.session_id.length > 256) return null;
  if (e.version !== undefined && e.version !== '1.0') return null;
  if (e.payload !== undefined && !isPlainObject(e.payload)) return null;
  if (!optString(e.source_app, 256) || !optString(e.hook_event_type, 256) || !optString(e.summary) || !optString(e.model_name, 256) || !optString(e.host, 256)) return null;
  if (e.chat !== undefined) {
    if (!Array.isArray(e.chat)) return null;
    for (const m of e.chat) if (!isPlainObject(m) || !optString(m.role)) return null;
  }
  const out: Record<string, unknown> = {};
  for (const k of INPUT_KEYS) {
    if (k === 'payload') out.payload = e.payload === undefined ? {} : { ...(e.payload as Record<string, unknown>) };
    else if (k in e) out[k] = e[k];
  }
  for (const k of Object.keys(e)) {
    if (KNOWN.has(k)) continue;
    if (k === '__proto__') return null; // an own "__proto__" key (JSON.parse makes one): zod's business
    out[k] = e[k];
  }
  return out as z.infer<typeof EventInputSchema>;
}

/** Validates an input event and fills `id`, `timestamp` and `version` when missing. */
export function completeEvent(input: unknown, now: number = Date.now()): EventCheck {
  const deep = tooDeepAt(input);
  if (deep !== null) {
    const issues = [{ path: deep, message: `nested more than ${MAX_EVENT_DEPTH} levels deep` }];
    return { ok: false, issues, message: `${deep}: ${issues[0]!.message}` };
  }
  // The publish path's common case, checked by hand (zod is the largest part of the check); anything
  // it does not accept goes to zod, which decides and says what is wrong.
  const fast = fastEventInput(input);
  const parsed = fast ? { success: true as const, data: fast } : EventInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    return { ok: false, issues, message: issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  }
  // Both paths return a fresh object: completed in place rather than copied again.
  const e = parsed.data;
  // Time-ordered: the store's unique index of ids grows at its end (src/util/uuid.ts uuidv7).
  e.id ??= uuidv7();
  e.timestamp ??= now;
  e.version = '1.0';
  return { ok: true, event: e as CorralEvent };
}

/**
 * The spec's validateEvent: true when the required base fields are present,
 * the timestamp is a non-negative number and the version is "1.0".
 */
export function validateEvent(event: unknown): event is CorralEvent {
  return EventSchema.safeParse(event).success;
}

/** Like validateEvent, but says what is wrong, field by field. */
export function checkEvent(event: unknown): EventCheck {
  const parsed = EventSchema.safeParse(event);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issues = describeIssues(parsed.error);
  return { ok: false, issues, message: issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
}

/** The spec's test event generator: a complete HookEvent of the given type. */
export function generateTestEvent(type: string, overrides: Partial<HookEvent> = {}): HookEvent {
  const now = Date.now();
  return {
    id: randomUUID(),
    timestamp: now,
    source: 'test-generator',
    source_app: 'test',
    session_id: `test_${now}`,
    event_type: type,
    hook_event_type: type,
    version: '1.0',
    payload: { test: true, random: Math.random() },
    summary: `Test ${type} event`,
    ...overrides,
  };
}

import { filterTooBig } from '../bus/filter.js';
import type { Bus } from '../bus/types.js';
import { didYouMean } from '../config/suggest.js';
import { makeError, type ErrorData } from '../schema/errors.js';
import { EventFilterSchema, RegisterDataSchema, type EventFilter, type RegisterData } from '../schema/messages.js';
import { CORRAL_SOURCE, clientEventIssues, isReserved, type RuleIssue } from '../schema/publisher-rules.js';
import { resolveTimePoints } from './query-filter.js';
import type { RawMessage } from './inbound-gate.js';

/** A client message, checked: what to do, or the error to answer with. */
export type ClientMessage =
  | { kind: 'error'; error: ErrorData }
  | { kind: 'event'; data: unknown }
  | { kind: 'register'; data: RegisterData }
  | { kind: 'subscribe'; filter: EventFilter };

export function schemaError(message: string, context?: unknown): ErrorData {
  return makeError('WS003', 'corral', message, { severity: 'warning', ...(context !== undefined ? { context } : {}) });
}

/** Parses and checks one message: JSON, a known `type`, its `data` against the schema (unknown keys named, filters bounded). */
export function parseClientMessage(raw: RawMessage): ClientMessage {
  const text = Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw as ArrayBuffer).toString('utf8');
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return { kind: 'error', error: makeError('WS002', 'corral', `message is not parseable JSON: ${(err as Error).message}`, { severity: 'warning' }) };
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return { kind: 'error', error: schemaError('message must be a JSON object with a "type" field', { issues: [{ path: '(root)', message: 'expected an object' }] }) };
  }
  const { type, data } = msg as { type?: unknown; data?: unknown };
  if (type === 'event') {
    if (data !== undefined) return { kind: 'event', data };
    return { kind: 'error', error: schemaError('data: an event message needs "data" (one event or an array)', { issues: [{ path: 'data', message: 'required' }] }) };
  }
  if (type === 'register') return parseRegister(data);
  if (type === 'subscribe') return parseSubscribe(data);
  return {
    kind: 'error',
    error: schemaError(`type: expected "register", "subscribe" or "event", got ${JSON.stringify(type)}`, { issues: [{ path: 'type', message: 'unknown message type' }] }),
  };
}

function parseRegister(data: unknown): ClientMessage {
  const unknown = unknownKeys(data, REGISTER_KEYS);
  if (unknown.length > 0) return { kind: 'error', error: issuesError('register', unknown) };
  const parsed = RegisterDataSchema.safeParse(data);
  if (!parsed.success) return { kind: 'error', error: zodError('register', parsed.error.issues) };
  // Only the daemon speaks as corral: a client registered under its name would put the daemon's own start and stop in the history.
  if (isReserved(parsed.data.component)) {
    return {
      kind: 'error',
      error: issuesError('register', [{ path: 'data.component', message: `"${CORRAL_SOURCE}" is reserved for the daemon itself; register under your component's name` }]),
    };
  }
  return { kind: 'register', data: parsed.data };
}

function parseSubscribe(data: unknown): ClientMessage {
  const unknown = unknownKeys(data, FILTER_KEYS);
  if (unknown.length > 0) return { kind: 'error', error: issuesError('subscribe', unknown) };
  // since/until as the HTTP API takes them: Unix ms, an ISO date or an age (5m).
  const isObject = data !== null && typeof data === 'object' && !Array.isArray(data);
  const raw: unknown = isObject ? { ...(data as Record<string, unknown>) } : (data ?? {});
  const bad = isObject ? resolveTimePoints(raw as Record<string, unknown>) : null;
  if (bad) return { kind: 'error', error: issuesError('subscribe', [{ path: `data.${bad.key}`, message: bad.message }]) };
  const parsed = EventFilterSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'error', error: zodError('subscribe', parsed.error.issues) };
  const big = filterTooBig(parsed.data);
  if (big) return { kind: 'error', error: issuesError('subscribe', [{ path: `data.${big.key}`, message: big.message }]) };
  return { kind: 'subscribe', filter: parsed.data };
}

/**
 * Publishes an `event` message's data (one event or an array), item by item:
 * each refused item is answered with its error (and its index in an array).
 * A publish that throws is answered too: nothing one client sends may take the daemon down.
 */
export function publishClientEvents(bus: Bus, data: unknown, sendError: (e: ErrorData) => void, onThrow: (err: Error) => void): void {
  if (!Array.isArray(data)) return publishItem(bus, data, undefined, sendError, onThrow);
  for (let index = 0; index < data.length; index++) publishItem(bus, data[index], index, sendError, onThrow);
}

/** One item of an `event` message; `index` is its place in an array (undefined: the message held one event). */
function publishItem(bus: Bus, item: unknown, index: number | undefined, sendError: (e: ErrorData) => void, onThrow: (err: Error) => void): void {
  const rules = clientEventIssues(item);
  if (rules.length > 0) {
    const where = (i: RuleIssue) => (index !== undefined ? `[${index}].${i.path}` : i.path);
    sendError(schemaError(`event refused: ${rules.map((i) => `${where(i)}: ${i.message}`).join('; ')}`, { issues: rules, ...(index !== undefined ? { index } : {}) }));
    return;
  }
  let res;
  try {
    res = bus.publish(item);
  } catch (err) {
    onThrow(err as Error);
    sendError(schemaError(`event could not be published: ${(err as Error).message}`, index !== undefined ? { index } : undefined));
    return;
  }
  if (!res.ok) {
    const ctx = (res.error.context ?? {}) as Record<string, unknown>;
    sendError({ ...res.error, context: index !== undefined ? { ...ctx, index } : ctx });
  }
}

const REGISTER_KEYS = Object.keys(RegisterDataSchema.shape);
const FILTER_KEYS = Object.keys(EventFilterSchema.shape);

/** Keys of `data` the message does not know, each with the likely correction: a typo must not pass as "no filter". */
function unknownKeys(data: unknown, known: readonly string[]): RuleIssue[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  return Object.keys(data)
    .filter((key) => !known.includes(key))
    .map((key) => ({ path: `data.${key}`, message: `unknown key "${key}"${didYouMean(key, known) || ` (known: ${known.join(', ')})`}` }));
}

function issuesError(type: string, list: RuleIssue[]): ErrorData {
  return schemaError(`${type} message fails the schema: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues: list });
}

function zodError(type: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): ErrorData {
  return issuesError(type, issues.map((i) => ({ path: ['data', ...i.path.map(String)].join('.'), message: i.message })));
}

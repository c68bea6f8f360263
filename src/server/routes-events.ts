import { FILTER_OPTIONS_MAX, type BusEntry } from '../bus/types.js';
import { fitHookBody, HOOK_EVENT_ID_HEADER, HOOK_MAX_BODY, hookEventId, hookToEvent } from '../bus/hook-event.js';
import { resolveHookName } from '../bus/hook-name.js';
import { completeEvent, MAX_EVENT_DEPTH, tooDeepAt, type CorralEvent } from '../schema/events.js';
import { clientEventIssues } from '../schema/publisher-rules.js';
import { BODY_RETRY_AFTER_S, BodyError, parseJson, readBody, sendError, sendJson } from './http-util.js';
import { compatJson } from './frames.js';
import { filterFromQuery } from './query-filter.js';
import { messageCost } from './rate-limit.js';
import type { RouteContext } from './route-context.js';
import { answerHook, holdHitl } from './routes-decisions.js';

const MAX_LIMIT = 10_000;

/**
 * The observability server's hook sender posts `source_app` and
 * `hook_event_type` without corral's `source` and `event_type`: complete them
 * so its body is accepted unchanged (docs/protocol.md). The event type then comes
 * from a hook name, held to the rule of `POST /hooks/EVENT`: an invalid or
 * reserved one gives way to the payload's `hook_event_name`, else `issue` says why.
 */
export function completeCompat(item: unknown): { input: unknown; compat: boolean; issue?: string } {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return { input: item, compat: false };
  const o = item as Record<string, unknown>;
  if (o.source_app === undefined || o.hook_event_type === undefined) return { input: item, compat: false };
  const compat = o.source === undefined && o.event_type === undefined;
  let hookType = o.hook_event_type;
  if (o.event_type === undefined && typeof hookType === 'string') {
    const resolved = resolveHookName(hookType, o.payload ?? {});
    if (!resolved.ok) return { input: item, compat, issue: resolved.error };
    hookType = resolved.name;
  }
  return { input: { ...o, source: o.source ?? o.source_app, event_type: o.event_type ?? hookType, hook_event_type: hookType }, compat };
}

function rateLimited(ctx: RouteContext, cost: number): boolean {
  const bucket = ctx.bucket();
  if (bucket.take(cost)) return false;
  const wait = Math.max(1, Math.ceil(bucket.waitSeconds(Math.min(cost, ctx.opts.rateLimit.burst))));
  void sendJson(ctx.req, ctx.res, 429, { error: `rate limited: more than ${ctx.opts.rateLimit.rate} events/s from ${ctx.req.socket.remoteAddress}`, code: 'WS004' }, { 'retry-after': String(wait) });
  return true;
}

/** The 503 of a full body budget, with Retry-After. */
function busy(ctx: RouteContext, err: BodyError): Promise<void> {
  return sendError(ctx.req, ctx.res, 503, err.message, {}, { 'retry-after': String(BODY_RETRY_AFTER_S) });
}

// What an observability hook body on POST /events keeps whatever its size:
// what identifies it, and `payload` and `chat` as the types the schema needs.
const COMPAT_FIT = { keep: ['source_app', 'hook_event_type', 'session_id', 'source', 'event_type', 'timestamp', 'id', 'version', 'model_name'], dropAs: (k: string) => (k === 'chat' ? [] : k === 'payload' ? {} : undefined) };

/**
 * An observability hook body (source_app and hook_event_type) over the bus's
 * message size, cut to fit as POST /hooks cuts hook bodies (fitHookBody):
 * its `Stop --add-chat` carries the whole transcript. What was cut is said
 * in `payload._corral_truncated`.
 */
function fitCompatBody(item: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const fitted = fitHookBody(item, maxBytes, COMPAT_FIT) as Record<string, unknown>;
  if (fitted === item) return item;
  const { _corral_truncated: note, ...rest } = fitted;
  const payload = rest.payload !== null && typeof rest.payload === 'object' && !Array.isArray(rest.payload) ? rest.payload : {};
  return { ...rest, payload: { ...payload, _corral_truncated: note } };
}

/** The observability server stores a humanInTheLoop question with `humanInTheLoopStatus: {status: "pending"}`; so does corral. */
function withHitlStatus(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const o = input as Record<string, unknown>;
  return o.humanInTheLoop !== undefined && o.humanInTheLoopStatus === undefined ? { ...o, humanInTheLoopStatus: { status: 'pending' } } : input;
}

/** A body in the observability hook sender's own shape: `source_app` and `hook_event_type`, none of corral's `source` and `event_type`. */
function isCompatHook(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return o.source_app !== undefined && o.hook_event_type !== undefined && o.source === undefined && o.event_type === undefined;
}

/**
 * POST /events: one event or an array; 202 with the ids once the batch
 * holding them is committed. A body is at most `bus.max_payload`, except one
 * observability hook body, read up to HOOK_MAX_BODY and cut to fit.
 */
export async function postEvents(ctx: RouteContext): Promise<void> {
  const { req, res, opts } = ctx;
  // As on the WebSocket: one token per request, plus one per 16 KiB of body.
  // Never more than the burst: a body that costs more could otherwise never be taken.
  if (rateLimited(ctx, Math.min(messageCost(Number(req.headers['content-length'])), opts.rateLimit.burst))) return;
  const max = Math.max(HOOK_MAX_BODY, opts.maxPayload);
  const limit = `${opts.maxPayload}-byte limit (bus.max_payload; an observability hook body may be ${max} bytes and is cut to fit)`;
  let body: unknown;
  let rawBytes: number;
  try {
    const buf = await readBody(req, max, limit, { budget: ctx.bodies, res });
    rawBytes = buf.length;
    body = parseJson(buf);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    if (err.status === 503) return busy(ctx, err);
    return sendError(req, res, err.status, err.message, { code: err.status === 413 ? 'WS006' : 'WS002' });
  }
  if (rawBytes > opts.maxPayload) {
    if (!isCompatHook(body) || tooDeepAt(body) !== null) {
      return sendError(req, res, 413, `body of ${rawBytes} bytes is over the ${opts.maxPayload}-byte limit (bus.max_payload)`, { code: 'WS006' });
    }
    body = fitCompatBody(body, opts.maxPayload);
  }
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return sendError(req, res, 400, 'the body is an empty array: expected one event or a non-empty array', { code: 'WS003' });
  if (items.length > 1 && rateLimited(ctx, items.length - 1)) return;
  // Validate every item first so an array is published whole or not at all.
  const events: CorralEvent[] = [];
  const errors: { index: number; path: string; message: string }[] = [];
  let compat = false;
  items.forEach((item, index) => {
    const c = completeCompat(item);
    compat ||= c.compat;
    if (c.issue !== undefined) {
      errors.push({ index, path: 'hook_event_type', message: c.issue });
      return;
    }
    const checked = completeEvent(withHitlStatus(c.input));
    if (!checked.ok) {
      for (const i of checked.issues) errors.push({ index, path: i.path, message: i.message });
      return;
    }
    const rules = clientEventIssues(checked.event);
    if (rules.length > 0) for (const i of rules) errors.push({ index, path: i.path, message: i.message });
    else events.push(checked.event);
  });
  if (errors.length > 0) {
    const where = (e: (typeof errors)[number]) => (Array.isArray(body) ? `[${e.index}].${e.path}` : e.path);
    return sendError(req, res, 400, `event fails the schema: ${errors.map((e) => `${where(e)}: ${e.message}`).join('; ')}`, { code: 'WS003', issues: errors });
  }
  const entries: BusEntry[] = [];
  const stored: Promise<void>[] = [];
  for (const e of events) {
    // Validated above (completeEvent): the bus does not check it a second time.
    const r = opts.bus.publishValidated(e);
    if (!r.ok) return sendError(req, res, 400, r.error.error_message, { code: r.error.error_code, published: entries.map((x) => x.event.id) });
    entries.push(r.entry);
    stored.push(r.stored);
  }
  // A 2xx means stored (group commit: the answer waits for the batch that holds its events).
  try {
    await Promise.all(stored);
  } catch (err) {
    return sendError(req, res, 503, `the event store could not commit: ${(err as Error).message}`, { ids: entries.map((x) => x.event.id) });
  }
  // A humanInTheLoop question waits for its answer (POST /events/ID/respond) as a pending decision.
  for (const entry of entries) if ((entry.event as { humanInTheLoop?: unknown }).humanInTheLoop !== undefined) holdHitl(ctx, entry);
  // The observability server answers its hook sender 200 with the saved event.
  if (compat && !Array.isArray(body)) return sendJson(req, res, 200, entries[0]!.json);
  return sendJson(req, res, 202, { ids: entries.map((x) => x.event.id), seqs: entries.map((x) => x.seq) });
}

/**
 * POST /hooks/EVENT: Claude Code's hook input. Answers 202 with `{}` (Claude
 * Code's output for nothing to decide; plain text would reach the model's
 * context) once the event is stored, or the decision of a `hooks:` rule; a hook
 * that cannot be stored as sent is still stored (a body that is not JSON, too
 * big or too deep is recorded as such). A name that is invalid or reserved by
 * corral gives way to the body's own `hook_event_name`; without a usable one
 * the answer is 400 naming the name and the rule, and nothing is stored. A
 * store failure answers 503, so `corral hook` spools instead.
 */
export async function postHook(ctx: RouteContext, rawName: string): Promise<void> {
  const { req, res, opts } = ctx;
  // 429 blocks nothing in Claude Code; `corral hook` spools and the daemon replays it later.
  if (rateLimited(ctx, 1)) {
    req.resume();
    return;
  }
  let urlName: string;
  try {
    urlName = decodeURIComponent(rawName);
  } catch {
    urlName = rawName;
  }
  // A hook is never dropped for its size: a body over the bus's message size
  // is cut to fit (fitHookBody), and one over even HOOK_MAX_BODY is recorded
  // as an event that says so.
  let body: unknown;
  let rawBytes = 0;
  try {
    // The text alone is kept (not the buffer it was read into): a large body is held as few times as can be.
    const text = (await readBody(req, Math.max(HOOK_MAX_BODY, opts.maxPayload), `${HOOK_MAX_BODY}-byte limit of a hook body`, { budget: ctx.bodies, res })).toString('utf8');
    rawBytes = Buffer.byteLength(text);
    try {
      body = JSON.parse(text);
    } catch {
      // Keep what the hook sent rather than lose it.
      body = { raw: text, parse_error: 'hook body is not JSON' };
    }
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    // The daemon holds too many bodies now: `corral hook` spools this one and it is replayed later, whole.
    if (err.status === 503) return busy(ctx, err);
    opts.logger?.warn(`hook ${urlName.slice(0, 140)}: ${err.message}; recording it without its body`);
    const declared = Number(req.headers['content-length']);
    body = { _corral_truncated: { original_bytes: Number.isFinite(declared) ? declared : null, kept_bytes: 0, reason: err.message } };
  }
  const deep = tooDeepAt(body);
  if (deep !== null) body = { _corral_truncated: { kept_bytes: 0, reason: `the body nests more than ${MAX_EVENT_DEPTH} levels deep (at ${deep})` } };
  // Re-serialised JSON is never longer than the text it was parsed from (a non-JSON body is one `raw` string, which
  // the per-field cap cuts): only a body that came in over the limit needs measuring and cutting.
  else if (rawBytes > opts.maxPayload) body = fitHookBody(body, opts.maxPayload, { originalBytes: rawBytes });
  const resolved = resolveHookName(urlName, body);
  if (!resolved.ok) {
    opts.logger?.warn(`hook refused: ${resolved.error}`);
    return sendError(req, res, 400, `${resolved.error}; nothing was stored`, { code: 'WS003' });
  }
  const name = resolved.name;
  if (name !== urlName) opts.logger?.debug(`hook sent as ${JSON.stringify(urlName.slice(0, 140))} stored as its body's hook_event_name ${name}`);
  const r = opts.bus.publish(hookToEvent(name, body, undefined, hookEventId(req.headers[HOOK_EVENT_ID_HEADER])));
  if (!r.ok) {
    opts.logger?.warn(`hook ${name} refused: ${r.error.error_message}`);
    return sendError(req, res, 400, `hook ${name} refused: ${r.error.error_message}; nothing was stored`, { code: r.error.error_code });
  }
  try {
    await r.stored;
  } catch (err) {
    return sendError(req, res, 503, `the event store could not commit: ${(err as Error).message}`);
  }
  // `{}` (nothing to decide), or the decision a `hooks:` rule makes (routes-decisions.ts).
  return answerHook(ctx, opts.hooks, name, body, r.entry, { 'x-corral-event-id': r.entry.event.id, ...(name !== urlName ? { 'x-corral-hook-event': name } : {}) });
}

function parseLimit(url: URL, fallback: number): number | string {
  const raw = url.searchParams.get('limit');
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) return `limit: expected a positive integer, got ${JSON.stringify(raw)}`;
  return Math.min(Number(raw), MAX_LIMIT);
}

/**
 * GET /events: history, newest last. Without `since`/`after` it is the
 * newest `limit` events and `next_cursor` pages to older ones; with them (or
 * `order=asc`) it pages forward from the oldest match.
 */
export async function getEvents(ctx: RouteContext): Promise<void> {
  const { req, res, url, opts } = ctx;
  const f = filterFromQuery(url);
  if (!f.ok) return sendError(req, res, 400, `bad filter: ${f.message}`);
  const limit = parseLimit(url, 100);
  if (typeof limit === 'string') return sendError(req, res, 400, limit);
  const orderParam = url.searchParams.get('order');
  if (orderParam !== null && orderParam !== 'asc' && orderParam !== 'desc') return sendError(req, res, 400, `order: expected "asc" or "desc", got ${JSON.stringify(orderParam)}`);
  const order = (orderParam as 'asc' | 'desc' | null) ?? (f.filter.since !== undefined || f.filter.after !== undefined ? 'asc' : 'desc');
  const cursor = url.searchParams.get('cursor') ?? undefined;
  let page;
  try {
    page = opts.bus.history(f.filter, { limit, order, ...(cursor ? { cursor } : {}) });
  } catch (err) {
    return sendError(req, res, 400, (err as Error).message);
  }
  const body = `{"events":[${page.events.map((e) => e.json).join(',')}],"next_cursor":${JSON.stringify(page.next_cursor)},"order":"${order}"}`;
  return sendJson(req, res, 200, body);
}

/** GET /events/recent?limit= (observability dashboard): a bare array, oldest first, in its shape (compatJson). */
export async function getRecent(ctx: RouteContext): Promise<void> {
  const { req, res, url, opts } = ctx;
  const limit = parseLimit(url, 100);
  if (typeof limit === 'string') return sendError(req, res, 400, limit);
  const page = opts.bus.history({}, { limit, order: 'desc' });
  return sendJson(req, res, 200, `[${page.events.map(compatJson).join(',')}]`);
}

/**
 * GET /events/filter-options (observability dashboard): the distinct values
 * of the events it is shown (compatJson's shape: `source_app` falling back to
 * `source`, `hook_event_type` to `event_type`), from the store, else from the
 * bus's history; empty strings left out, sorted, at most FILTER_OPTIONS_MAX each.
 */
export async function getFilterOptions(ctx: RouteContext): Promise<void> {
  const { req, res, opts } = ctx;
  if (opts.store) return sendJson(req, res, 200, opts.store.filterOptions());
  const apps = new Set<string>();
  const sessions = new Set<string>();
  const types = new Set<string>();
  for (const e of opts.bus.history({}, { limit: MAX_LIMIT, order: 'desc' }).events) {
    apps.add(e.event.source_app ?? e.event.source);
    sessions.add(e.event.session_id);
    types.add(e.event.hook_event_type ?? e.event.event_type);
  }
  const sorted = (s: Set<string>) => [...s].filter((v) => v !== '').sort().slice(0, FILTER_OPTIONS_MAX);
  return sendJson(req, res, 200, { source_apps: sorted(apps), session_ids: sorted(sessions), hook_event_types: sorted(types) });
}

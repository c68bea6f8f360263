import { FILTER_OPTIONS_MAX, type BusEntry } from '../bus/types.js';
import { fitHookBody, HOOK_EVENT_ID_HEADER, HOOK_MAX_BODY, hookEventId, hookToEvent } from '../bus/hook-event.js';
import { resolveHookName } from '../bus/hook-name.js';
import { completeEvent, MAX_EVENT_DEPTH, tooDeepAt, type CorralEvent } from '../schema/events.js';
import { clientEventIssues } from '../schema/publisher-rules.js';
import { checkPublishAuth } from './guard.js';
import { BodyError, readBody, readJson, sendError, sendJson } from './http-util.js';
import { compatJson } from './frames.js';
import { filterFromQuery } from './query-filter.js';
import { messageCost } from './rate-limit.js';
import type { RouteContext } from './route-context.js';

const MAX_LIMIT = 10_000;

/**
 * The observability server's hook sender posts `source_app` and
 * `hook_event_type` without corral's `source` and `event_type`: complete them
 * so its body is accepted unchanged (DESIGN §4). The event type then comes
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

function authRefused(ctx: RouteContext): boolean {
  const refusal = checkPublishAuth(ctx.guard, ctx.req, ctx.url);
  if (!refusal) return false;
  void sendError(ctx.req, ctx.res, refusal.status, refusal.message, { code: 'WS005' });
  return true;
}

/** POST /events: one event or an array; 202 with the ids once the batch holding them is committed. */
export async function postEvents(ctx: RouteContext): Promise<void> {
  const { req, res, opts } = ctx;
  if (authRefused(ctx)) return;
  // As on the WebSocket: one token per request, plus one per 16 KiB of body.
  if (rateLimited(ctx, messageCost(Number(req.headers['content-length'])))) return;
  let body: unknown;
  try {
    body = await readJson(req, opts.maxPayload);
  } catch (err) {
    if (err instanceof BodyError) return sendError(req, res, err.status, err.message, { code: err.status === 413 ? 'WS006' : 'WS002' });
    throw err;
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
    const checked = completeEvent(c.input);
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
    const r = opts.bus.publish(e);
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
  // The observability server answers its hook sender 200 with the saved event.
  if (compat && !Array.isArray(body)) return sendJson(req, res, 200, entries[0]!.json);
  return sendJson(req, res, 202, { ids: entries.map((x) => x.event.id), seqs: entries.map((x) => x.seq) });
}

/**
 * POST /hooks/EVENT: Claude Code's hook input. Answers 202 with an empty body
 * (a body could be read as a hook decision) once the event is stored; a hook
 * that cannot be stored as sent is still stored (a body that is not JSON, too
 * big or too deep is recorded as such). A name that is invalid or reserved by
 * corral gives way to the body's own `hook_event_name`; without a usable one
 * the answer is 400 naming the name and the rule, and nothing is stored. A
 * store failure answers 503, so `corral hook` spools instead.
 */
export async function postHook(ctx: RouteContext, rawName: string): Promise<void> {
  const { req, res, opts } = ctx;
  if (authRefused(ctx)) return;
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
    const buf = await readBody(req, Math.max(HOOK_MAX_BODY, opts.maxPayload));
    rawBytes = buf.length;
    const text = buf.toString('utf8');
    try {
      body = JSON.parse(text);
    } catch {
      // Keep what the hook sent rather than lose it.
      body = { raw: text, parse_error: 'hook body is not JSON' };
    }
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    opts.logger?.warn(`hook ${urlName.slice(0, 140)}: ${err.message}; recording it without its body`);
    const declared = Number(req.headers['content-length']);
    const reason = err.message.replace(' (bus.max_payload)', ` (a hook body may be at most ${HOOK_MAX_BODY} bytes)`);
    body = { _corral_truncated: { original_bytes: Number.isFinite(declared) ? declared : null, kept_bytes: 0, reason } };
  }
  const deep = tooDeepAt(body);
  if (deep !== null) body = { _corral_truncated: { kept_bytes: 0, reason: `the body nests more than ${MAX_EVENT_DEPTH} levels deep (at ${deep})` } };
  // Re-serialised JSON is never longer than the text it was parsed from (a non-JSON body is one `raw` string, which
  // the per-field cap cuts): only a body that came in over the limit needs measuring and cutting.
  else if (rawBytes > opts.maxPayload) body = fitHookBody(body, opts.maxPayload);
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
  res.writeHead(202, { 'content-length': 0, 'x-corral-event-id': r.entry.event.id, ...(name !== urlName ? { 'x-corral-hook-event': name } : {}) });
  res.end();
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
  if (authRefused(ctx)) return;
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
  if (authRefused(ctx)) return;
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
  if (authRefused(ctx)) return;
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

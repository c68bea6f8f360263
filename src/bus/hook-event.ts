import { basename } from 'node:path';
import type { EventInput } from '../schema/events.js';
import { truncateString } from './redact.js';

/**
 * Wraps a Claude Code hook body into a HookEvent (docs/hooks.md): `hook_event_type`
 * and `event_type` = the hook name, `session_id` from the body, `payload` = the
 * body, `source` = `claude-code`, `source_app` = the basename of the body's
 * `cwd`. The server's `POST /hooks/EVENT` and the spool replay both use it, so
 * a spooled hook becomes exactly the event the route would have made.
 */
export function hookToEvent(eventName: string, body: unknown, timestamp?: number, id?: string): EventInput {
  const payload: Record<string, unknown> =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : { body };
  const session = typeof payload.session_id === 'string' && payload.session_id !== '' ? payload.session_id : 'unknown';
  const cwd = typeof payload.cwd === 'string' ? basename(payload.cwd) : '';
  return {
    event_type: eventName,
    hook_event_type: eventName,
    source: 'claude-code',
    source_app: cwd || 'claude-code',
    session_id: session.slice(0, 256),
    payload,
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(id !== undefined ? { id } : {}),
  };
}

export { HOOK_EVENT_ID_HEADER } from './hook-header.js';

/**
 * The largest hook body `POST /hooks/EVENT` (and an observability hook body
 * on `POST /events`) reads: 16 MiB, what `corral hook` reads from its stdin
 * at most. A larger one is recorded without its body; a smaller one over
 * the bus's message size is cut to fit (fitHookBody).
 */
export const HOOK_MAX_BODY = 16 * 1024 * 1024;

/** How fitHookBody treats the top-level keys it may not drop or drop as a string. */
export interface FitOptions {
  /** Top-level keys never replaced (they identify the hook). */
  keep?: readonly string[];
  /** What a dropped top-level value becomes, when not the default note string (e.g. `[]` for a key that must stay an array). */
  dropAs?: (key: string) => unknown;
  /** The body's size as received, when known: spares serialising a large body only to measure it. */
  originalBytes?: number;
}

const HOOK_KEEP = ['session_id', 'hook_event_name', 'cwd', 'tool_name'];

/** What `fitHookBody` did, added to the payload as `_corral_truncated`. */
export interface HookTruncation {
  original_bytes: number;
  kept_bytes: number;
  /** Strings were cut to this many bytes each. */
  strings_cut_to?: number;
  /** Top-level keys replaced by a note because they alone were too big. */
  dropped_keys?: string[];
}

const byteLength = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');

function cutStrings(value: unknown, max: number): unknown {
  if (typeof value === 'string') return value.length * 3 <= max ? value : truncateString(value, max);
  if (Array.isArray(value)) return value.map((v) => cutStrings(v, max));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutStrings(v, max)]));
  }
  return value;
}

/**
 * Makes a hook body fit in `maxBytes` of JSON rather than lose the hook: a
 * PostToolUse of a large file read easily exceeds the bus's message size.
 * Long strings are cut (64 KiB, then 4 KiB, then 256 bytes each); if that is
 * not enough, the largest top-level values are replaced by a note. The
 * result says what was done in `_corral_truncated`. A body that already fits
 * is returned as it is. The body must not nest deeper than the bus allows
 * (the caller checks with `tooDeepAt` first).
 */
export function fitHookBody(body: unknown, maxBytes: number, options: FitOptions = {}): unknown {
  const keep = options.keep ?? HOOK_KEEP;
  const original = options.originalBytes ?? byteLength(body);
  if (original <= maxBytes) return body;
  const obj: Record<string, unknown> = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : { body };
  // Room for the note itself and the envelope the event adds around the payload.
  const budget = Math.max(1024, maxBytes - 4096);
  let out: Record<string, unknown> = obj;
  let cutTo: number | undefined;
  for (const max of [64 * 1024, 4 * 1024, 256]) {
    if (max > budget) continue;
    out = cutStrings(obj, max) as Record<string, unknown>;
    cutTo = max;
    if (byteLength(out) <= budget) break;
  }
  const dropped: string[] = [];
  let size = byteLength(out);
  if (size > budget) {
    const sizes = Object.entries(out)
      .map(([k, v]) => [k, byteLength(v)] as const)
      .sort((a, b) => b[1] - a[1]);
    out = { ...out };
    for (const [k, bytes] of sizes) {
      if (size <= budget) break;
      // The fields that identify the hook stay.
      if (keep.includes(k)) continue;
      out[k] = options.dropAs?.(k) ?? `[dropped by corral: ${bytes} bytes]`;
      dropped.push(k);
      size = byteLength(out);
    }
  }
  const note: HookTruncation = { original_bytes: original, kept_bytes: byteLength(out), ...(cutTo !== undefined ? { strings_cut_to: cutTo } : {}), ...(dropped.length ? { dropped_keys: dropped } : {}) };
  return { ...out, _corral_truncated: note };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id of a `x-corral-event-id` header when it is one UUID; anything else is left to the bus to choose. */
export function hookEventId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && UUID_RE.test(header) ? header.toLowerCase() : undefined;
}

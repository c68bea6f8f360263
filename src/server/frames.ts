import { uuid as randomUUID } from '../util/uuid.js';
import type { BusEntry } from '../bus/types.js';
import type { ErrorData } from '../schema/errors.js';
import type { HeartbeatData } from '../schema/messages.js';
import { textFrame, textFrameOf } from './ws-internals.js';

// One frame per event, whatever the number of subscribers: the bus delivers
// an entry to every listener synchronously, so the first listener builds the
// frame and the others reuse it. Only the latest entry's frame is kept: a
// per-entry cache (WeakMap) kept every frame alive as long as its entry, i.e.
// for as long as the store's queue holds it, doubling the memory of a
// backlog. The frame is the whole WebSocket frame (RFC 6455 §5.2: a server's
// frames are not masked, so the bytes are the same for every subscriber):
// sockets write it as is, with no per-subscriber framing or copy.
let lastEntry: BusEntry | null = null;
let lastFrame: Buffer | null = null;

/**
 * `{type:'event', data, metadata:{server_time, message_id, seq}}`, built once
 * per entry, as a complete unmasked text frame (header + payload).
 */
export function eventWireFrame(entry: BusEntry): Buffer {
  if (entry !== lastEntry || lastFrame === null) {
    lastFrame = textFrame(EVENT_HEAD, entry.json, `,"metadata":${metadata(entry.seq)}}`);
    lastEntry = entry;
  }
  return lastFrame;
}

const EVENT_HEAD = '{"type":"event","data":';

/**
 * An event in the observability dashboard's shape (`WS /stream`, `GET
 * /events/recent`): every event has `source_app` and `hook_event_type`, as a
 * hook event has them; corral's own and other events get their `source` and
 * `event_type` there. The JSON of an event that has both is used as it is.
 */
export function compatJson(entry: BusEntry): string {
  const e = entry.event;
  if (e.source_app !== undefined && e.hook_event_type !== undefined) return entry.json;
  return JSON.stringify({ ...e, source_app: e.source_app ?? e.source, hook_event_type: e.hook_event_type ?? e.event_type });
}

let lastCompatEntry: BusEntry | null = null;
let lastCompatFrame: Buffer | null = null;

/** eventWireFrame in the dashboard's shape (compatJson), built once per entry for every `/stream` subscriber. */
export function compatWireFrame(entry: BusEntry): Buffer {
  if (entry.event.source_app !== undefined && entry.event.hook_event_type !== undefined) return eventWireFrame(entry);
  if (entry !== lastCompatEntry || lastCompatFrame === null) {
    lastCompatFrame = textFrame(EVENT_HEAD, compatJson(entry), `,"metadata":${metadata(entry.seq)}}`);
    lastCompatEntry = entry;
  }
  return lastCompatFrame;
}

/** A text message, given as consecutive pieces, as one complete WebSocket frame (ws-internals.ts textFrame). */
export const wireFrame = textFrame;

function metadata(seq: number, extra = ''): string {
  return `{"server_time":${Date.now()},"message_id":"${randomUUID()}","seq":${seq}${extra}}`;
}

/** An entry's JSON as a subscriber is sent it: as stored, or in the dashboard's shape (compatJson). */
export type EntryJson = (entry: BusEntry) => string;
const stored: EntryJson = (e) => e.json;

/** The pieces of `[json,json,…]` for textFrameOf: the events are not joined into one more string first. */
function arrayPieces(head: string, entries: readonly BusEntry[], json: EntryJson, tail: string): string[] {
  const pieces: string[] = [head];
  entries.forEach((e, i) => pieces.push(i === 0 ? json(e) : `,${json(e)}`));
  pieces.push(tail);
  return pieces;
}

/** An `event` message whose data is an array (a slow subscriber's coalesced backlog), as a wire frame. */
export function batchFrame(entries: readonly BusEntry[], json: EntryJson = stored): Buffer {
  const last = entries[entries.length - 1];
  return textFrameOf(arrayPieces('{"type":"event","data":[', entries, json, `],"metadata":${metadata(last ? last.seq : 0, `,"batch":${entries.length}`)}}`));
}

/**
 * The `initial` message, as a wire frame: events oldest first; `truncated`
 * and `next_cursor` when a replay stopped at its page bound (the client asks
 * for the next page with a `subscribe` whose `after` is that cursor).
 */
export function initialFrame(
  entries: readonly BusEntry[],
  extra: { truncated?: boolean; next_cursor?: string | null } = {},
  /** The cursor when no entry is sent: where the client stands (the bus's last seq, or its own `after`). */
  emptySeq = 0,
  json: EntryJson = stored,
): Buffer {
  const last = entries[entries.length - 1];
  const more = extra.truncated ? `,"truncated":true,"next_cursor":${JSON.stringify(extra.next_cursor ?? null)}` : '';
  return textFrameOf(arrayPieces('{"type":"initial","data":[', entries, json, `],"metadata":${metadata(last ? last.seq : emptySeq, more)}}`));
}

/** An `error` message to one client or to all. */
export function errorFrame(error: ErrorData): string {
  return JSON.stringify({ type: 'error', data: error, metadata: { server_time: Date.now(), message_id: randomUUID() } });
}

/** An ecosystem error event (`error.CODE`) as an `error` message: its payload is the ErrorData. */
export function errorEventFrame(entry: BusEntry): string {
  return JSON.stringify({ type: 'error', data: entry.event.payload, metadata: { server_time: Date.now(), message_id: randomUUID(), seq: entry.seq } });
}

export function heartbeatFrame(data: HeartbeatData): string {
  return JSON.stringify({ type: 'heartbeat', data, metadata: { server_time: Date.now(), message_id: randomUUID() } });
}

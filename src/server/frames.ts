import { randomUUID } from 'node:crypto';
import type { BusEntry } from '../bus/types.js';
import type { ErrorData } from '../schema/errors.js';
import type { HeartbeatData } from '../schema/messages.js';

// One frame per event, whatever the number of subscribers: the bus delivers
// an entry to every listener synchronously, so the first listener builds the
// string and the others reuse it. Entries are collected with their frames.
// The frame is kept as a Buffer: sockets then write the same bytes without
// re-encoding the string once per subscriber.
const eventFrames = new WeakMap<BusEntry, Buffer>();

/** `{type:'event', data, metadata:{server_time, message_id, seq}}`, built once per entry. */
export function eventFrame(entry: BusEntry): Buffer {
  let frame = eventFrames.get(entry);
  if (frame === undefined) {
    frame = Buffer.from(`{"type":"event","data":${entry.json},"metadata":${metadata(entry.seq)}}`);
    eventFrames.set(entry, frame);
  }
  return frame;
}

function metadata(seq: number, extra = ''): string {
  return `{"server_time":${Date.now()},"message_id":"${randomUUID()}","seq":${seq}${extra}}`;
}

/** An `event` message whose data is an array: a slow subscriber's coalesced backlog. */
export function batchFrame(entries: readonly BusEntry[]): string {
  const last = entries[entries.length - 1];
  return `{"type":"event","data":[${entries.map((e) => e.json).join(',')}],"metadata":${metadata(last ? last.seq : 0, `,"batch":${entries.length}`)}}`;
}

/** The `initial` message: events oldest first; `truncated` when a replay hit its cap. */
export function initialFrame(
  entries: readonly BusEntry[],
  extra: { truncated?: boolean; next_cursor?: string | null } = {},
  /** The cursor when no entry is sent: where the client stands (the bus's last seq, or its own `after`). */
  emptySeq = 0,
): string {
  const last = entries[entries.length - 1];
  const more = extra.truncated ? `,"truncated":true,"next_cursor":${JSON.stringify(extra.next_cursor ?? null)}` : '';
  return `{"type":"initial","data":[${entries.map((e) => e.json).join(',')}],"metadata":${metadata(last ? last.seq : emptySeq, more)}}`;
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

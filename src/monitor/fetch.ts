import type { MonitorTarget } from './target.js';
import type { CorralEvent } from '../schema/events.js';
import type { EventFilter } from '../schema/messages.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { CorralError } from '../errors.js';

/** Thrown when the daemon answers with an error status; the message says what it answered. */
export class MonitorFetchError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MON001', [message], options);
  }
}

function describeBody(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    return typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  }
  return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body)?.slice(0, 200) ?? '';
}

/** `GET /api/components` (with the token): the component list. */
export async function fetchComponents(target: MonitorTarget): Promise<ComponentInfo[]> {
  const res = await target.request<unknown>('GET', '/api/components', 5000);
  if (res.status !== 200) throw new MonitorFetchError(`GET ${target.baseUrl}/api/components answered ${res.status}: ${describeBody(res.body)}`);
  const body = res.body as ComponentInfo[] | { components?: ComponentInfo[] };
  return Array.isArray(body) ? body : (body.components ?? []);
}

/** Accepts the shapes a history answer may take: an event list, or a page of events or bus entries. */
function eventsOf(body: unknown): CorralEvent[] {
  const list = Array.isArray(body) ? body : ((body as { events?: unknown[]; data?: unknown[] } | null)?.events ?? (body as { data?: unknown[] } | null)?.data ?? []);
  return list
    .map((item) => (item && typeof item === 'object' && 'event' in item && typeof (item as { event: unknown }).event === 'object' ? (item as { event: CorralEvent }).event : (item as CorralEvent)))
    .filter((e): e is CorralEvent => Boolean(e) && typeof e.event_type === 'string' && typeof e.timestamp === 'number');
}

/** The newest `limit` events matching the filter, oldest first (`GET /events`). */
export async function fetchRecentEvents(target: MonitorTarget, filter: EventFilter, limit: number): Promise<CorralEvent[]> {
  const query = new URLSearchParams({ limit: String(limit), order: 'desc' });
  for (const [key, value] of Object.entries(filter)) if (value !== undefined && value !== '') query.set(key, String(value));
  const res = await target.request<unknown>('GET', `/events?${query}`, 5000);
  if (res.status !== 200) throw new MonitorFetchError(`GET ${target.baseUrl}/events answered ${res.status}: ${describeBody(res.body)}`);
  const events = eventsOf(res.body).sort((a, b) => a.timestamp - b.timestamp);
  return events.slice(-limit);
}

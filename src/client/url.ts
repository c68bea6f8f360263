import type { EventFilter } from '../schema/messages.js';

const FILTER_KEYS = ['event_type', 'source', 'session_id', 'host', 'since', 'until', 'after'] as const;

/**
 * The WebSocket URL of the bus: `http://host:port` becomes `ws://host:port/events`
 * (a URL that already names a path keeps it), with the filter, the resume
 * cursor and the token as query parameters.
 */
export function busUrl(base: string, filter: EventFilter = {}, token?: string | null): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`invalid daemon URL ${JSON.stringify(base)}: expected e.g. http://127.0.0.1:4000 or ws://127.0.0.1:4000/events`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`invalid daemon URL ${JSON.stringify(base)}: protocol must be http, https, ws or wss`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/events';
  for (const key of FILTER_KEYS) {
    const v = filter[key];
    if (v === undefined || v === '') url.searchParams.delete(key);
    else url.searchParams.set(key, String(v));
  }
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

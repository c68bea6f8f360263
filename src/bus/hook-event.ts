import { basename } from 'node:path';
import type { EventInput } from '../schema/events.js';

/**
 * Wraps a Claude Code hook body into a HookEvent (DESIGN §4): `hook_event_type`
 * and `event_type` = the hook name, `session_id` from the body, `payload` = the
 * body, `source` = `claude-code`, `source_app` = the basename of the body's
 * `cwd`. The server's `POST /hooks/EVENT` and the spool replay both use it, so
 * a spooled hook becomes exactly the event the route would have made.
 */
export function hookToEvent(eventName: string, body: unknown, timestamp?: number): EventInput {
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
  };
}

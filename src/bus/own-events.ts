import { CORRAL_SOURCE } from '../schema/publisher-rules.js';
import type { OwnEvent, OwnEventPayloads, OwnEventType } from '../schema/payloads.js';
import type { Bus, PublishResult } from './types.js';

/** What publishing corral's own events needs of the bus (a bus without a session id sends an empty one). */
export type OwnPublisher = Pick<Bus, 'publish'> & { readonly sessionId?: string };

/**
 * Publishes one of corral's own events: `source: corral`, the daemon run's
 * session, and a payload whose type follows from the event type (see
 * OwnEventPayloads in src/schema/payloads.ts). The one place corral's own
 * events are assembled.
 */
export function publishOwn<K extends OwnEventType>(bus: OwnPublisher, type: K, payload: OwnEventPayloads[K]): PublishResult {
  return bus.publish({ source: CORRAL_SOURCE, session_id: bus.sessionId ?? '', event_type: type, payload });
}

/** `publishOwn` for an event already paired with its payload (a runner hands these up). */
export function publishOwnEvent(bus: OwnPublisher, event: OwnEvent): PublishResult {
  return bus.publish({ source: CORRAL_SOURCE, session_id: bus.sessionId ?? '', event_type: event.event_type, payload: event.payload });
}

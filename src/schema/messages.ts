import { z } from 'zod';
import { EventInputSchema, EventSchema } from './events.js';
import { ErrorDataSchema } from './errors.js';

/** Status of one component in a heartbeat (docs/protocol.md). */
export const ComponentStatusSchema = z.enum(['healthy', 'degraded', 'unhealthy', 'starting', 'stopped', 'failed']);
export type ComponentStatus = z.infer<typeof ComponentStatusSchema>;

/** The data of a heartbeat message. */
export const HeartbeatDataSchema = z.looseObject({
  components: z.record(z.string(), ComponentStatusSchema),
  timestamp: z.number().nonnegative(),
  next_check: z.number().nonnegative(),
});
export type HeartbeatData = z.infer<typeof HeartbeatDataSchema>;

/** Metadata on every `event` message. `seq` is the store's cursor, used to resume. */
export const MessageMetadataSchema = z.looseObject({
  server_time: z.number(),
  message_id: z.string(),
  seq: z.number().int().nonnegative().optional(),
});
export type MessageMetadata = z.infer<typeof MessageMetadataSchema>;

/** A message from the server (spec: WebSocketMessage). */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('initial'), data: z.array(EventSchema), metadata: MessageMetadataSchema.optional() }),
  z.object({
    type: z.literal('event'),
    data: z.union([EventSchema, z.array(EventSchema)]),
    metadata: MessageMetadataSchema.optional(),
  }),
  z.object({ type: z.literal('heartbeat'), data: HeartbeatDataSchema, metadata: MessageMetadataSchema.optional() }),
  z.object({ type: z.literal('error'), data: ErrorDataSchema, metadata: MessageMetadataSchema.optional() }),
]);
/** A message the server sends. */
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
/** The spec's name for a server message. */
export type WebSocketMessage = ServerMessage;
export const WebSocketMessageSchema = ServerMessageSchema;

/**
 * Filters a subscriber or a history query can set. `event_type` is a comma
 * list of exact names or prefixes ending in `*` (`component.*`); `since` and
 * `until` are Unix ms; `after` is a store cursor (`seq`) to resume from.
 */
export const EventFilterSchema = z.object({
  event_type: z.string().optional(),
  source: z.string().optional(),
  session_id: z.string().optional(),
  /** The host an event came from (federation: comma list). */
  host: z.string().optional(),
  since: z.coerce.number().nonnegative().optional(),
  until: z.coerce.number().nonnegative().optional(),
  after: z.coerce.number().int().nonnegative().optional(),
});
export type EventFilter = z.infer<typeof EventFilterSchema>;

/** Data of a client `register` message. */
export const RegisterDataSchema = z.looseObject({
  component: z.string().min(1).max(256),
  version: z.string().optional(),
  capabilities: z.array(z.string()).optional(),
});
export type RegisterData = z.infer<typeof RegisterDataSchema>;

/** A message from a client. */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('register'), data: RegisterDataSchema }),
  z.object({ type: z.literal('subscribe'), data: EventFilterSchema }),
  z.object({ type: z.literal('event'), data: z.union([EventInputSchema, z.array(EventInputSchema)]) }),
]);
/** A message a client sends. */
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

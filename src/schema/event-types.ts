import { z } from 'zod';
import { HOOK_EVENT_TYPES } from './hook-types.js';

export { HOOK_EVENT_TYPES };

export const HookEventTypeSchema = z.enum(HOOK_EVENT_TYPES);
/** A known Claude Code hook type. */
export type HookEventType = z.infer<typeof HookEventTypeSchema>;
/** Any hook type: a known one, or a name a newer Claude Code sends. */
export const HookEventTypeName = z.union([HookEventTypeSchema, z.string().min(1).max(128)]);

/** Events corral and the ecosystem's components publish about themselves. */
export const SYSTEM_EVENT_TYPES = [
  'component.started',
  'component.stopped',
  'component.health',
  'router.model.switch',
  'flow.agent.spawned',
  'flow.agent.completed',
  'tmux.session.created',
  'tmux.window.changed',
] as const;
export const SystemEventTypeSchema = z.enum(SYSTEM_EVENT_TYPES);
/** A system event type of the spec. */
export type SystemEventType = z.infer<typeof SystemEventTypeSchema>;

/** Events about the bus, the config and resources. */
export const INTEGRATION_EVENT_TYPES = [
  'ws.connected',
  'ws.disconnected',
  'bus.message',
  'config.changed',
  'resource.alert',
] as const;
export const IntegrationEventTypeSchema = z.enum(INTEGRATION_EVENT_TYPES);
/** An integration event type of the spec. */
export type IntegrationEventType = z.infer<typeof IntegrationEventTypeSchema>;

/** True when `type` is one of the known hook event names. */
export function isHookEventType(type: string): type is HookEventType {
  return (HOOK_EVENT_TYPES as readonly string[]).includes(type);
}

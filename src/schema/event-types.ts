import { z } from 'zod';

/**
 * Claude Code hook events. The spec lists the first seven; the rest are the
 * events Claude Code has gained since. Unknown hook types are still accepted
 * as plain strings wherever a hook type is read (see `HookEventTypeName`).
 */
export const HOOK_EVENT_TYPES = [
  'PreToolUse',
  'PostToolUse',
  'Notification',
  'Stop',
  'SubagentStop',
  'UserPromptSubmit',
  'PreCompact',
  // Added by Claude Code after the spec was written.
  'PostToolUseFailure',
  'PostCompact',
  'SessionStart',
  'SessionEnd',
  'SubagentStart',
  'PermissionRequest',
  'StopFailure',
  'TaskCompleted',
  'TeammateIdle',
  'ConfigChange',
  'InstructionsLoaded',
  'WorktreeCreate',
  'WorktreeRemove',
  'Elicitation',
  'ElicitationResult',
] as const;

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

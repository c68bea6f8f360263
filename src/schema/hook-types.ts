// The hook names alone, without zod, so the web dashboard (web/src/) can use them without bundling zod.

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

import { z } from 'zod';

/** Payload of PreToolUse / PostToolUse events (spec: ToolUsePayload). */
export const ToolUsePayloadSchema = z.looseObject({
  tool_name: z.string(),
  tool_input: z
    .looseObject({
      command: z.string().optional(),
      query: z.string().optional(),
      file_path: z.string().optional(),
    })
    .optional(),
  tool_output: z.any().optional(),
  duration_ms: z.number().nonnegative().optional(),
  error: z.string().optional(),
});
/** Payload of a tool-use hook event. */
export type ToolUsePayload = z.infer<typeof ToolUsePayloadSchema>;

/** Payload of flow.agent.* events (spec: AgentPayload). */
export const AgentPayloadSchema = z.looseObject({
  agent_id: z.string(),
  agent_type: z.string(),
  task: z.string().optional(),
  status: z.enum(['spawned', 'running', 'completed', 'failed']),
  parent_agent: z.string().optional(),
  result: z.any().optional(),
});
/** Payload of an agent event. */
export type AgentPayload = z.infer<typeof AgentPayloadSchema>;

export const AlertLevelSchema = z.enum(['info', 'warning', 'critical']);
/** Level of a resource alert. */
export type AlertLevel = z.infer<typeof AlertLevelSchema>;

/** Payload of resource.alert events (spec: ResourcePayload). */
export const ResourcePayloadSchema = z.looseObject({
  component: z.string(),
  metrics: z.object({
    cpu_percent: z.number(),
    memory_mb: z.number(),
    active_connections: z.number(),
    event_queue_size: z.number(),
  }),
  alert_level: AlertLevelSchema.optional(),
  message: z.string().optional(),
});
/** Payload of a resource alert. */
export type ResourcePayload = z.infer<typeof ResourcePayloadSchema>;

/** A chat message attached to a hook event (shape left open by the spec). */
export const ChatMessageSchema = z.looseObject({
  role: z.string().optional(),
  content: z.any().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

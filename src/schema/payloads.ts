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

// ---------------------------------------------------------------------------
// The payloads of the events corral publishes itself (`source: corral`). Each
// event type has one payload type, in OwnEventPayloads below; publishOwn
// (src/bus/own-events.ts) takes the type from it, so an event and its
// payload cannot disagree.

/** Why a generation ended, as `component.stopped` reports it. */
export type StopReason = 'exited' | 'crashed' | 'stopped' | 'killed' | 'failed';

/** `component.started`: a supervised generation began, or a client registered a component over the bus. */
export interface StartedPayload {
  component: string;
  /** null for a component that registered over the bus (corral did not start it). */
  pid: number | null;
  generation: number;
  /** The runner, or `websocket` for a component that registered over the bus. */
  plugin: string;
  /** The command as configured; null for a component that registered over the bus. */
  command: string | null;
  /** Bus registrations only: the connection and what the client said of itself. */
  client_id?: string;
  remote_address?: string;
  version?: string;
  capabilities?: string[];
}

/** `component.stopped`: a generation ended, or a registered client went away. */
export interface StoppedPayload {
  component: string;
  pid: number | null;
  generation: number;
  exit_code: number | null;
  signal: string | null;
  reason: StopReason;
  runtime_ms: number;
  restarts: number;
  next_restart_in_ms: number | null;
  /** Why it failed, when reason is `failed`. */
  error?: string;
  /** Why corral stopped it (a stop command, a reload, a failed health check, a changed file). */
  cause?: string;
  /** Bus registrations only: the connection and its close code. */
  client_id?: string;
  close_code?: number | null;
}

/** `component.health`: a health probe's verdict changed. */
export interface HealthPayload {
  component: string;
  status: 'healthy' | 'unhealthy';
  previous: 'healthy' | 'unhealthy' | 'unknown';
  probe: string;
  detail: string;
  generation: number;
}

/** `ws.connected`: a bus client connected. */
export interface WsConnectedPayload {
  client_id: string;
  remote_address: string;
  component: string | null;
  path: string;
}

/** `ws.disconnected`: a bus client's connection closed. */
export interface WsDisconnectedPayload {
  client_id: string;
  remote_address: string;
  component: string | null;
  code: number;
  reason: string;
  duration_ms: number;
}

/** `config.changed`: a reload's plan (what is started, stopped, restarted, updated in place). */
export interface ConfigChangedPayload {
  added: string[];
  removed: string[];
  restarted: string[];
  updated: string[];
  /** Changed ecosystem-wide sections (resources, logs, …). */
  settings: string[];
  unchanged: number;
  hash: string;
  /** What caused the reload (a file change, `corral reload`, …). */
  trigger: string;
  /** Changed `bus` keys, when any. */
  bus?: { changed: string[]; rebind: boolean; not_applied?: string[]; error?: string };
  /** Set when a config that failed is valid again and is the one already applied. */
  valid_again?: true;
}

/** A tmux window as corral's tmux events name it. */
export interface TmuxWindowRef {
  index: number;
  name: string;
  id: string;
}

/** `tmux.session.created`. */
export interface TmuxSessionCreatedPayload {
  session: string;
  window: TmuxWindowRef | null;
  change: 'added';
  component?: string;
}

/** `tmux.window.changed`. */
export interface TmuxWindowChangedPayload {
  session: string;
  window: TmuxWindowRef;
  change: 'added' | 'closed' | 'renamed' | 'selected';
  component?: string;
}

/** `notify.sent` / `notify.failed`: one delivery of a `notify:` rule (src/notify/). */
export interface NotifyPayload {
  rule: string;
  destination: string;
  attempt: number;
  component: string;
  event_type: string;
  event_id: string;
  /** `notify.sent`: the title sent. */
  title?: string;
  /** `notify.failed`: why the last try failed. */
  error?: string;
  /** Sent by `corral notify test`. */
  test?: true;
  /** Deliveries dropped (queue full) or throttled (`every`) since the last event of this rule. */
  dropped?: number;
  throttled?: number;
  /** The first success after the destination was down: for how long, and how many deliveries failed meanwhile. */
  recovered_after_ms?: number;
  failed_while_down?: number;
}

/** How a pending hook decision ended. */
export type DecidedBy = 'user' | 'timeout' | 'client_gone' | 'shutdown';

/** `hook.decision.pending`: one held request, as `corral decisions` and `GET /api/decisions` list it. */
export interface PendingDecision {
  decision_id: string;
  /** `hook`: a PreToolUse/PermissionRequest held open; `hitl`: the observability dashboard's human-in-the-loop question. */
  kind: 'hook' | 'hitl';
  hook: string;
  session_id: string;
  /** The Claude Code project (the hook's `source_app`: its cwd's last part). */
  project: string;
  tool: string;
  /** The rule that asked (`ask[0]`), or `humanInTheLoop`. */
  rule: string;
  /** What the person is asked (the reason, or the HITL question). */
  question: string;
  /** The id of the stored event that asked. */
  event_id: string;
  created_at: number;
  expires_at: number;
  /** A short view of the tool input. */
  input?: string;
}

/** `hook.decision.made`: how a pending decision ended. */
export interface DecisionMadePayload {
  /** Absent for a `deny` rule's answer, which held nothing. */
  decision_id?: string;
  kind?: PendingDecision['kind'];
  hook: string;
  session_id: string;
  tool: string;
  rule: string;
  event_id: string;
  decision: 'allow' | 'deny';
  reason: string;
  /** `rule`: a `hooks.deny` rule answered at once. */
  by: DecidedBy | 'rule';
  waited_ms: number;
  /** The dashboard's whole answer (a HITL `response`, `choice`, `permission`), when there is one. */
  response?: Record<string, unknown>;
}

/** Every event type corral publishes itself, with its payload type (errors go through `Bus.publishError`). */
/** `federation.connected`: the daemon reached NATS (first connect and every reconnect). */
export interface FederationConnectedPayload {
  /** The server it is connected to. */
  nats: string;
  host: string;
}

/** `federation.disconnected`: the daemon lost NATS; events to forward wait in the store. */
export interface FederationDisconnectedPayload {
  error: string;
  host: string;
}

/** `federation.error`: NATS refused the daemon (credentials, permissions) or a JetStream step failed. */
export interface FederationErrorPayload {
  error: string;
  host: string;
  /** true when NATS refused the credentials (or their permissions). */
  auth: boolean;
}

/**
 * `component.leftovers_ended`: at its start, the daemon ended what a previous
 * daemon of this config left running when it died (`kill -9`, a crash): the
 * process groups of these components, and its tmux windows.
 */
export interface LeftoversEndedPayload {
  components: string[];
  tmux_windows: number;
}

/** `federation.backlog_overflow`: more events waited to be forwarded than `federation.backlog`; the oldest were skipped. */
export interface FederationBacklogOverflowPayload {
  dropped: number;
  backlog: number;
}

export interface OwnEventPayloads {
  'component.started': StartedPayload;
  'component.stopped': StoppedPayload;
  'component.health': HealthPayload;
  'component.leftovers_ended': LeftoversEndedPayload;
  'ws.connected': WsConnectedPayload;
  'ws.disconnected': WsDisconnectedPayload;
  'config.changed': ConfigChangedPayload;
  'resource.alert': ResourcePayload;
  'tmux.session.created': TmuxSessionCreatedPayload;
  'tmux.window.changed': TmuxWindowChangedPayload;
  'notify.sent': NotifyPayload;
  'notify.failed': NotifyPayload;
  'hook.decision.pending': PendingDecision;
  'hook.decision.made': DecisionMadePayload;
  'federation.connected': FederationConnectedPayload;
  'federation.disconnected': FederationDisconnectedPayload;
  'federation.error': FederationErrorPayload;
  'federation.backlog_overflow': FederationBacklogOverflowPayload;
}

/** An event type corral publishes itself. */
export type OwnEventType = keyof OwnEventPayloads;

/** One of corral's own events before it is published: its type and the payload that type has. */
export type OwnEvent = { [K in OwnEventType]: { event_type: K; payload: OwnEventPayloads[K] } }[OwnEventType];

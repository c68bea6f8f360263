import type { AgentPayload, CorralEvent } from '../../src/index.js';

/** One agent event to publish: its type, the session it belongs to and the AgentPayload. */
export interface AgentEmit {
  event_type: 'flow.agent.spawned' | 'flow.agent.completed';
  session_id: string;
  payload: AgentPayload & { tool_use_id?: string; sources: string[] };
}

export interface AgentTrackerOptions {
  /** Tool names that spawn a subagent (Claude Code's `Task`, renamed `Agent`). */
  spawnTools: string[];
  /** How long an unmatched half (a Pre without a SubagentStart, or the reverse) waits for its twin. */
  correlateMs: number;
  now?: () => number;
}

/**
 * What is known of one subagent. Claude Code tells about one subagent twice:
 * through the hooks of the spawning tool (PreToolUse/PostToolUse, keyed by
 * `tool_use_id`) and through SubagentStart/SubagentStop (keyed by `agent_id`).
 * Neither carries the other's key, so the two halves are paired by session
 * and agent type, in arrival order; whichever half comes first is published
 * and the second only completes the record.
 */
interface AgentRecord {
  /** The id published in every event about this agent (the first key seen). */
  id: string;
  session: string;
  type: string;
  task?: string;
  parent?: string;
  toolUseId?: string;
  agentId?: string;
  spawnedAt: number;
  /** When it completed (ms), or null while it runs. */
  completedAt: number | null;
  /** Whether flow.agent.spawned went out for it. */
  announced: boolean;
  sources: string[];
}

type Payload = Record<string, any>;

interface TrackInput {
  id: string;
  session: string;
  type: string;
  task?: string;
  parent?: string;
  toolUseId?: string;
  agentId?: string;
  source: string;
}

const HOOK_TYPES = ['SubagentStart', 'SubagentStop', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure'] as const;
/** The bus filter that delivers every hook event the tracker reads. */
export const AGENT_HOOK_FILTER = HOOK_TYPES.join(',');

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The hook name of an event: `hook_event_type`, else the event type, else the payload's `hook_event_name`. */
function hookName(event: CorralEvent): string {
  const p = event.payload as Payload;
  return event.hook_event_type ?? str(p.hook_event_name) ?? event.event_type;
}

/** Derives flow.agent.spawned / flow.agent.completed from Claude Code hook events, once per agent. */
export class AgentTracker {
  private readonly records: AgentRecord[] = [];
  private readonly now: () => number;

  constructor(private readonly options: AgentTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Feeds one bus event; returns the agent events it causes (none, one, rarely two). */
  handle(event: CorralEvent): AgentEmit[] {
    this.expire();
    const p = (event.payload ?? {}) as Payload;
    const session = str(p.session_id) ?? event.session_id;
    switch (hookName(event)) {
      case 'SubagentStart':
        return this.onSubagentStart(session, p);
      case 'SubagentStop':
        return this.onSubagentStop(session, p);
      case 'PreToolUse':
        return this.isSpawnTool(p) ? this.onSpawnToolStart(session, p) : [];
      case 'PostToolUse':
        return this.isSpawnTool(p) ? this.onSpawnToolEnd(session, p, false) : [];
      case 'PostToolUseFailure':
        return this.isSpawnTool(p) ? this.onSpawnToolEnd(session, p, true) : [];
      default:
        return [];
    }
  }

  /** Number of agents being tracked (spawned and not yet fully closed). */
  size(): number {
    return this.records.length;
  }

  private isSpawnTool(p: Payload): boolean {
    return typeof p.tool_name === 'string' && this.options.spawnTools.includes(p.tool_name);
  }

  private onSpawnToolStart(session: string, p: Payload): AgentEmit[] {
    const input = (p.tool_input ?? {}) as Payload;
    const toolUseId = str(p.tool_use_id);
    if (toolUseId && this.records.some((r) => r.toolUseId === toolUseId)) return [];
    const type = str(input.subagent_type) ?? 'general-purpose';
    const task = str(input.description) ?? str(input.prompt);
    const twin = this.records.find((r) => this.pairable(r, session, type) && !r.toolUseId && r.agentId);
    if (twin) {
      twin.toolUseId = toolUseId;
      twin.task ??= task;
      twin.sources.push('PreToolUse');
      return [];
    }
    const id = toolUseId ?? `${session}:${type}:${this.now()}`;
    return [this.spawn({ id, session, type, task, parent: str(p.agent_id), toolUseId, source: 'PreToolUse' })];
  }

  private onSubagentStart(session: string, p: Payload): AgentEmit[] {
    const agentId = str(p.agent_id);
    if (agentId && this.records.some((r) => r.agentId === agentId)) return [];
    const type = str(p.agent_type) ?? 'general-purpose';
    const twin = this.records.find((r) => this.pairable(r, session, type) && !r.agentId && r.toolUseId);
    if (twin) {
      twin.agentId = agentId;
      twin.sources.push('SubagentStart');
      return [];
    }
    const id = agentId ?? `${session}:${type}:${this.now()}`;
    return [this.spawn({ id, session, type, agentId, source: 'SubagentStart' })];
  }

  private onSubagentStop(session: string, p: Payload): AgentEmit[] {
    const agentId = str(p.agent_id);
    const type = str(p.agent_type);
    let record = agentId ? this.records.find((r) => r.agentId === agentId) : undefined;
    // A stop for an agent whose start was never seen: pair it with the oldest spawn of its type
    // through the tool, open ones first (a finished one is kept for the pairing window).
    const unpaired = (r: AgentRecord) => r.session === session && !r.agentId && (!type || r.type === type);
    record ??= this.records.find((r) => unpaired(r) && r.completedAt === null) ?? this.records.find(unpaired);
    if (!record) {
      const id = agentId ?? `${session}:${type ?? 'agent'}:${this.now()}`;
      record = this.track({ id, session, type: type ?? 'general-purpose', agentId, source: 'SubagentStop' });
    }
    record.agentId ??= agentId;
    return this.complete(record, 'SubagentStop', 'completed', str(p.last_assistant_message));
  }

  private onSpawnToolEnd(session: string, p: Payload, failed: boolean): AgentEmit[] {
    const toolUseId = str(p.tool_use_id);
    let record = toolUseId ? this.records.find((r) => r.toolUseId === toolUseId) : undefined;
    if (!record) {
      const input = (p.tool_input ?? {}) as Payload;
      const type = str(input.subagent_type) ?? 'general-purpose';
      // Its Pre was missed (corral started mid-run): the twin is the oldest subagent of that type with no tool use, even one already stopped.
      const untooled = (r: AgentRecord) => r.session === session && r.type === type && !r.toolUseId;
      record = this.records.find((r) => untooled(r) && r.completedAt === null) ?? this.records.find(untooled);
      if (record) record.toolUseId = toolUseId;
    }
    if (!record) {
      const input = (p.tool_input ?? {}) as Payload;
      const id = toolUseId ?? `${session}:agent:${this.now()}`;
      record = this.track({
        id,
        session,
        type: str(input.subagent_type) ?? 'general-purpose',
        task: str(input.description) ?? str(input.prompt),
        toolUseId,
        source: 'PostToolUse',
      });
    }
    const result = failed ? (p.error ?? p.tool_response) : (p.tool_response ?? p.tool_output);
    // The record stays for the pairing window, so a late SubagentStop is recognised and not announced again.
    return this.complete(record, failed ? 'PostToolUseFailure' : 'PostToolUse', failed ? 'failed' : 'completed', result);
  }

  private spawn(r: TrackInput): AgentEmit {
    const record = this.track(r);
    record.announced = true;
    return this.emit(record, 'flow.agent.spawned', 'spawned');
  }

  /** Starts tracking an agent without announcing it. */
  private track(r: TrackInput): AgentRecord {
    const record: AgentRecord = {
      id: r.id,
      session: r.session,
      type: r.type,
      task: r.task,
      parent: r.parent,
      toolUseId: r.toolUseId,
      agentId: r.agentId,
      spawnedAt: this.now(),
      completedAt: null,
      announced: false,
      sources: [r.source],
    };
    this.records.push(record);
    return record;
  }

  /** An open record of this session and type, recent enough to be the twin of a new half. */
  private pairable(r: AgentRecord, session: string, type: string): boolean {
    return r.session === session && r.type === type && r.completedAt === null && this.now() - r.spawnedAt <= this.options.correlateMs;
  }

  private complete(record: AgentRecord, source: string, status: 'completed' | 'failed', result: unknown): AgentEmit[] {
    if (!record.sources.includes(source)) record.sources.push(source);
    if (record.completedAt !== null) return [];
    record.completedAt = this.now();
    const emits: AgentEmit[] = [];
    // A completion for an agent never announced announces it first, so every completed has its spawned.
    if (!record.announced) {
      record.announced = true;
      emits.push(this.emit(record, 'flow.agent.spawned', 'spawned'));
    }
    emits.push(this.emit(record, 'flow.agent.completed', status, result));
    return emits;
  }

  private emit(record: AgentRecord, type: AgentEmit['event_type'], status: AgentPayload['status'], result?: unknown): AgentEmit {
    const payload: AgentEmit['payload'] = { agent_id: record.id, agent_type: record.type, status, sources: [...record.sources] };
    if (record.task !== undefined) payload.task = record.task;
    if (record.parent !== undefined) payload.parent_agent = record.parent;
    if (record.toolUseId !== undefined) payload.tool_use_id = record.toolUseId;
    if (record.agentId !== undefined && record.agentId !== record.id) payload.subagent_id = record.agentId;
    if (result !== undefined) payload.result = result;
    return { event_type: type, session_id: record.session, payload };
  }

  /**
   * Drops completed records once their twin can no longer come (the pairing
   * window after completion), and bounds the table. Running agents stay: a
   * subagent may run for hours before its stop arrives.
   */
  private expire(): void {
    const cutoff = this.now() - this.options.correlateMs;
    for (let i = this.records.length - 1; i >= 0; i--) {
      const done = this.records[i]!.completedAt;
      if (done !== null && done < cutoff) this.records.splice(i, 1);
    }
    if (this.records.length > 1000) this.records.splice(0, this.records.length - 1000);
  }
}

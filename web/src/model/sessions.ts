import { HOOK_EVENT_TYPES } from '../../../src/schema/hook-types.js';
import { api, touch } from '../core.js';
import type { CorralEvent } from '../types.js';

export const SESSIONS_MAX = 50;
export const ITEMS_MAX = 300;
export const SESSIONS_SPAN_MS = 86_400_000;

export type ItemKind = 'prompt' | 'tool' | 'subagent' | 'notification' | 'stop' | 'session' | 'other';

/** One mark in a session's lane. A tool call is one item from PreToolUse to its PostToolUse. */
export interface Item {
  kind: ItemKind;
  id: string;
  at: number;
  /** The tool, the prompt's text, the notification's message… */
  label: string;
  /** For a tool call: when it ended, and whether it failed. */
  endedAt?: number;
  failed?: boolean;
  open?: boolean;
  event: CorralEvent;
}

export interface Session {
  id: string;
  app: string;
  model: string | null;
  first: number;
  last: number;
  items: Item[];
  tools: number;
  failures: number;
  prompts: number;
  ended: boolean;
  /** Bumped at each change (the view re-renders only the lanes that changed). */
  version: number;
}

export const sessions = {
  byId: new Map<string, Session>(),
  /** Newest activity first. */
  order: [] as Session[],
  loaded: false,
};
const seen = new Set<string>();
/** Open tool calls of each session, by tool_use_id or tool name. */
const open = new Map<string, Map<string, Item[]>>();

/** A Claude Code hook event: what `POST /hooks/EVENT` and `corral hook` make (or the observability sender's). */
export function isHookEvent(e: CorralEvent): boolean {
  return e.hook_event_type !== undefined || (HOOK_EVENT_TYPES as readonly string[]).includes(e.event_type);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

function toolFailed(type: string, p: Record<string, unknown>): boolean {
  if (type === 'PostToolUseFailure') return true;
  if (typeof p.error === 'string' && p.error !== '') return true;
  const r = (p.tool_response ?? p.tool_output) as Record<string, unknown> | undefined;
  return !!r && typeof r === 'object' && (r.is_error === true || r.success === false || (typeof r.error === 'string' && r.error !== ''));
}

function toolLabel(p: Record<string, unknown>): string {
  const input = (p.tool_input ?? {}) as Record<string, unknown>;
  const detail = str(input.command ?? input.file_path ?? input.pattern ?? input.query ?? input.url ?? input.description ?? '');
  return `${str(p.tool_name) || 'tool'}${detail ? `: ${detail}` : ''}`;
}

function add(e: CorralEvent): boolean {
  if (seen.has(e.id) || !isHookEvent(e)) return false;
  seen.add(e.id);
  const sid = e.session_id || '(no session)';
  let s = sessions.byId.get(sid);
  if (!s) {
    s = { id: sid, app: e.source_app ?? e.source, model: null, first: e.timestamp, last: e.timestamp, items: [], tools: 0, failures: 0, prompts: 0, ended: false, version: 0 };
    sessions.byId.set(sid, s);
  }
  s.version++;
  s.first = Math.min(s.first, e.timestamp);
  s.last = Math.max(s.last, e.timestamp);
  if (e.model_name) s.model = e.model_name;
  const type = e.hook_event_type ?? e.event_type;
  const p = e.payload as Record<string, unknown>;
  if (typeof p.model === 'string') s.model = p.model;
  const opens = open.get(sid) ?? new Map<string, Item[]>();
  open.set(sid, opens);
  const key = str(p.tool_use_id) || str(p.tool_name);
  const base = { id: e.id, at: e.timestamp, event: e };

  if (type === 'PreToolUse') {
    const item: Item = { ...base, kind: 'tool', label: toolLabel(p), open: true };
    s.items.push(item);
    s.tools++;
    const q = opens.get(key) ?? [];
    q.push(item);
    opens.set(key, q);
  } else if (type === 'PostToolUse' || type === 'PostToolUseFailure') {
    const pending = opens.get(key)?.shift();
    const failed = toolFailed(type, p);
    if (pending) {
      pending.open = false;
      pending.endedAt = e.timestamp;
      pending.failed = failed;
    } else {
      s.items.push({ ...base, kind: 'tool', label: toolLabel(p), endedAt: e.timestamp, failed });
      s.tools++;
    }
    if (failed) s.failures++;
  } else if (type === 'UserPromptSubmit') {
    s.items.push({ ...base, kind: 'prompt', label: str(p.prompt) || 'prompt' });
    s.prompts++;
  } else if (type === 'SubagentStart' || type === 'SubagentStop') {
    s.items.push({ ...base, kind: 'subagent', label: `${type === 'SubagentStart' ? 'subagent' : 'subagent done'}${p.agent_type ? `: ${str(p.agent_type)}` : ''}` });
  } else if (type === 'Notification' || type === 'PermissionRequest') {
    s.items.push({ ...base, kind: 'notification', label: str(p.message) || type });
  } else if (type === 'Stop' || type === 'StopFailure') {
    s.items.push({ ...base, kind: 'stop', label: type === 'Stop' ? 'stop' : 'stop failed', failed: type === 'StopFailure' });
  } else if (type === 'SessionStart' || type === 'SessionEnd') {
    s.items.push({ ...base, kind: 'session', label: `${type === 'SessionStart' ? 'session start' : 'session end'}${p.source || p.reason ? ` (${str(p.source ?? p.reason)})` : ''}` });
    if (type === 'SessionEnd') s.ended = true;
  } else {
    s.items.push({ ...base, kind: 'other', label: type });
  }
  if (s.items.length > 1 && s.items[s.items.length - 1]!.at < s.items[s.items.length - 2]!.at) s.items.sort((a, b) => a.at - b.at);
  if (s.items.length > ITEMS_MAX) s.items.splice(0, s.items.length - ITEMS_MAX);
  return true;
}

function reorder(): void {
  sessions.order = [...sessions.byId.values()].sort((a, b) => b.last - a.last);
  for (const gone of sessions.order.splice(SESSIONS_MAX)) {
    sessions.byId.delete(gone.id);
    open.delete(gone.id);
  }
}

let reorderDue = false;
export function sessionEvent(e: CorralEvent): void {
  if (!add(e)) return;
  // The order is rebuilt once per burst, not per event.
  if (!reorderDue) {
    reorderDue = true;
    queueMicrotask(() => {
      reorderDue = false;
      reorder();
      touch('sessions');
    });
  }
}

/** The sessions of the last day, from the history. */
export async function loadSessions(): Promise<void> {
  const since = Date.now() - SESSIONS_SPAN_MS;
  const r = await api<{ events: CorralEvent[] }>(`/events?event_type=${encodeURIComponent(HOOK_EVENT_TYPES.join(','))}&since=${since}&limit=5000&order=desc`);
  for (const e of r.body?.events ?? []) add(e);
  reorder();
  sessions.loaded = true;
  touch('sessions');
}

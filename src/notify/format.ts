import { basename } from 'node:path';
import type { CorralEvent } from '../schema/events.js';

/** What a destination is given: one line of title, a few lines of message, and the event. */
export interface Notification {
  title: string;
  message: string;
  /** The component (or Claude Code project) the event is about, `corral` for the daemon. */
  component: string;
  event_type: string;
  event: CorralEvent;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const oneLine = (s: string, max = 160): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The component an event is about: `payload.component`, a hook's project (its cwd's last part), else its source. */
export function componentOf(e: CorralEvent): string {
  const p = obj(e.payload);
  return str(p.component) ?? str(p.project) ?? (e.source === 'claude-code' ? (str(e.source_app) ?? (str(p.cwd) ? basename(p.cwd as string) : 'claude-code')) : e.source);
}

/** Where to reach a Claude Code session: the tmux window `corral attach` opens, when the daemon knows one for its cwd. */
export type AttachHint = (cwd: string) => string | null;

function toolSummary(p: Obj): string {
  const input = obj(p.tool_input);
  const text = str(input.command) ?? str(input.file_path) ?? str(input.url) ?? str(input.pattern) ?? JSON.stringify(p.tool_input ?? {});
  return oneLine(text, 200);
}

function claudeCode(e: CorralEvent, p: Obj, project: string, attach: AttachHint | undefined): { title: string; lines: string[] } | null {
  const session = `session ${e.session_id.slice(0, 8)}`;
  const where = str(p.cwd) ? ` in ${p.cwd as string}` : '';
  const hint = str(p.cwd) && attach ? attach(p.cwd as string) : null;
  const tail = [`${session}${where}`, ...(hint ? [`attach: ${hint}`] : [])];
  switch (e.event_type) {
    case 'Notification':
      return { title: `Claude Code (${project}): ${oneLine(str(p.message) ?? 'waiting for you', 100)}`, lines: [str(p.message) ?? 'Claude Code is waiting for your input', ...tail] };
    case 'Stop':
      return { title: `Claude Code (${project}) finished`, lines: [...(str(p.last_assistant_message) ? [oneLine(p.last_assistant_message as string, 300)] : ['Claude Code stopped and waits for your next prompt']), ...tail] };
    case 'PermissionRequest':
      return { title: `Claude Code (${project}) asks to run ${str(p.tool_name) ?? 'a tool'}`, lines: [`${str(p.tool_name) ?? 'tool'}: ${toolSummary(p)}`, ...tail] };
    default:
      return null;
  }
}

function corralOwn(e: CorralEvent, p: Obj, component: string): { title: string; lines: string[] } | null {
  const type = e.event_type;
  if (type === 'error.CMP002') {
    const ctx = obj(p.context);
    const restarts = typeof ctx.restarts === 'number' ? `${ctx.restarts} restarts; ` : '';
    return { title: `corral: ${component} failed`, lines: [str(p.error_message) ?? 'crash loop', `${restarts}it stays failed until \`corral restart ${component}\``] };
  }
  if (type === 'error.CMP001') return { title: `corral: ${component} did not start`, lines: [str(p.error_message) ?? 'start timeout'] };
  if (type === 'error.RES001') return { title: `corral: ${component} over its critical resource limit`, lines: [str(p.error_message) ?? ''] };
  if (type === 'error.CFG001') return { title: 'corral: the config is invalid', lines: [str(p.error_message) ?? '', 'the running config is unchanged'] };
  if (type.startsWith('error.')) return { title: `corral: ${component} ${type.slice(6)}`, lines: [str(p.error_message) ?? ''] };
  if (type === 'resource.alert') {
    const m = obj(p.metrics);
    const level = str(p.alert_level) ?? 'alert';
    const what = level === 'info' ? 'back to normal' : `${level} resource alert`;
    return { title: `corral: ${component} ${what}`, lines: [str(p.message) ?? '', `memory ${String(m.memory_mb ?? '?')} MB, cpu ${String(m.cpu_percent ?? '?')}%`] };
  }
  if (type === 'component.health') {
    return { title: `corral: ${component} ${str(p.status) ?? 'health changed'}`, lines: [`health check${str(p.probe) ? ` (${p.probe as string})` : ''}: ${str(p.previous) ?? '?'} → ${str(p.status) ?? '?'}`, ...(str(p.detail) ? [oneLine(p.detail as string, 300)] : [])] };
  }
  if (type === 'component.stopped') {
    const code = p.exit_code !== undefined && p.exit_code !== null ? `exit code ${String(p.exit_code)}` : str(p.signal) ? `signal ${p.signal as string}` : '';
    return { title: `corral: ${component} ${str(p.reason) ?? 'stopped'}`, lines: [[code, typeof p.restarts === 'number' ? `${p.restarts} restarts` : ''].filter(Boolean).join(', ')] };
  }
  if (type === 'hook.decision.pending') {
    const id = str(p.decision_id) ?? '?';
    return {
      title: p.kind === 'hitl' ? `corral: ${component} asks: ${oneLine(str(p.question) ?? 'a question', 120)}` : `corral: approve ${str(p.tool) ?? 'a tool'}? (${component})`,
      lines: [oneLine(str(p.question) ?? '', 300), ...(str(p.input) ? [oneLine(p.input as string, 300)] : []), `corral approve ${id}   or   corral deny ${id}`, `answered ${str(p.rule) === 'humanInTheLoop' ? 'at its own timeout' : 'by default'} at ${new Date(Number(p.expires_at)).toISOString()}`],
    };
  }
  return null;
}

/**
 * The notification of an event: for corral's own events and Claude Code's
 * Notification/Stop/PermissionRequest a title that reads as one line
 * (`corral: flaky failed`) and a message with the figures; for any other
 * event its type, component and message.
 */
export function formatNotification(e: CorralEvent, attach?: AttachHint): Notification {
  const p = obj(e.payload);
  const component = componentOf(e);
  const made = (e.source === 'claude-code' ? claudeCode(e, p, component, attach) : null) ?? (e.source === 'corral' ? corralOwn(e, p, component) : null);
  const title = made?.title ?? `corral: ${e.event_type} from ${component}`;
  const lines = made?.lines ?? [str(p.message) ?? str(p.error_message) ?? oneLine(JSON.stringify(e.payload) ?? '', 300)];
  return { title: oneLine(title, 200), message: lines.filter((l) => l !== '').join('\n'), component, event_type: e.event_type, event: e };
}
